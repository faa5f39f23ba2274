# cfnresponse: what CloudFormation adds beside inline (ZipFile) Python
# code, so custom resources can answer at their ResponseURL. Written for
# niwa with the interface of AWS's module: send(event, context,
# responseStatus, responseData, physicalResourceId=None, noEcho=False,
# reason=None).
import json
import urllib.request

SUCCESS = "SUCCESS"
FAILED = "FAILED"


def send(event, context, responseStatus, responseData, physicalResourceId=None, noEcho=False, reason=None):
    responseUrl = event["ResponseURL"]
    log_stream = getattr(context, "log_stream_name", "") if context is not None else ""
    body = {
        "Status": responseStatus,
        "Reason": reason or "See the details in CloudWatch Log Stream: " + str(log_stream),
        "PhysicalResourceId": physicalResourceId or log_stream,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": noEcho,
        "Data": responseData,
    }
    data = json.dumps(body).encode("utf-8")
    print("Response body:")
    print(data.decode("utf-8"))
    req = urllib.request.Request(responseUrl, data=data, method="PUT",
                                 headers={"content-type": "", "content-length": str(len(data))})
    try:
        with urllib.request.urlopen(req) as resp:
            print("Status code:", resp.status)
    except Exception as e:
        print("send(..) failed executing http.request(..):", e)
