// cfn-response: what CloudFormation adds beside inline (ZipFile) Node.js
// code, so custom resources can answer at their ResponseURL. Written for
// niwa with the interface of AWS's module: send(event, context,
// responseStatus, responseData, physicalResourceId, noEcho).
exports.SUCCESS = "SUCCESS";
exports.FAILED = "FAILED";

exports.send = function (event, context, responseStatus, responseData, physicalResourceId, noEcho) {
  return new Promise((resolve, reject) => {
    const logStream = (context && context.logStreamName) || "";
    const body = JSON.stringify({
      Status: responseStatus,
      Reason: "See the details in CloudWatch Log Stream: " + logStream,
      PhysicalResourceId: physicalResourceId || logStream,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: noEcho || false,
      Data: responseData,
    });
    console.log("Response body:\n", body);
    const url = new URL(event.ResponseURL);
    const mod = url.protocol === "https:" ? require("https") : require("http");
    const req = mod.request(
      { hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: "PUT",
        headers: { "content-type": "", "content-length": Buffer.byteLength(body) } },
      (res) => {
        console.log("Status code: " + res.statusCode);
        res.resume();
        res.on("end", () => { if (context && context.done) { context.done(); } resolve(); });
      });
    req.on("error", (err) => {
      console.log("send(..) failed executing https.request(..): " + err);
      if (context && context.done) { context.done(); }
      reject(err);
    });
    req.write(body);
    req.end();
  });
};
