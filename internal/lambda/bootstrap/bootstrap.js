// niwa's Lambda runtime for Node.js: the Runtime API loop AWS's runtime
// interface client runs, written for niwa and run by the host's node.
"use strict";
const http = require("http");
const path = require("path");
const fs = require("fs");
const { pathToFileURL } = require("url");

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path: "/2018-06-01/runtime/" + p, agent, headers: headers || {} }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function writeSync(s) {
  fs.writeSync(1, s);
}

// AWS's console format: <timestamp>\t<request id>\t<LEVEL>\t<message>
let currentId = "";
for (const [name, level] of [["log", "INFO"], ["info", "INFO"], ["warn", "WARN"], ["error", "ERROR"], ["debug", "DEBUG"], ["trace", "TRACE"]]) {
  const util = require("util");
  console[name] = (...args) => {
    const msg = util.format(...args);
    writeSync(new Date().toISOString() + "\t" + (currentId || "undefined") + "\t" + level + "\t" + msg + "\n");
  };
}

// Response streaming (awslambda.streamifyResponse): the handler writes to
// a stream instead of returning a value, and the bootstrap posts what it
// writes as it writes it, in the Runtime API's streaming response mode
// (chunked, errors in trailers), as AWS's runtime interface client does.
const STREAMING = Symbol("niwa.streaming");
globalThis.awslambda = {
  streamifyResponse(handler) {
    const wrapped = (event, responseStream, context) => handler(event, responseStream, context);
    wrapped[STREAMING] = true;
    return wrapped;
  },
  HttpResponseStream: {
    // The HTTP prelude (status, headers) matters to function URLs only;
    // the payload is what the stream carries.
    from(stream, prelude) { return stream; },
  },
};

function invokeStreaming(fn, event, context, id) {
  const { Writable } = require("stream");
  return new Promise((resolve) => {
    const req = http.request({
      host: HOST, port: PORT, method: "POST", agent,
      path: "/2018-06-01/runtime/invocation/" + id + "/response",
      headers: {
        "Lambda-Runtime-Function-Response-Mode": "streaming",
        "Transfer-Encoding": "chunked",
        "Trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      },
    }, (res) => { res.resume(); res.on("end", resolve); });
    req.on("error", resolve);
    let ended = false;
    const end = (err) => {
      if (ended) return;
      ended = true;
      if (err) {
        const shape = errorShape(err);
        writeSync(new Date().toISOString() + "\t" + id + "\tERROR\tInvoke Error \t" + JSON.stringify(shape) + "\n");
        req.addTrailers({
          "Lambda-Runtime-Function-Error-Type": shape.errorType,
          "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(shape)).toString("base64"),
        });
      }
      req.end();
    };
    const sink = new Writable({
      write(chunk, enc, cb) { req.write(Buffer.from(chunk, enc), () => cb()); },
    });
    sink.setContentType = () => {};
    sink.on("finish", () => end());
    sink.on("error", (e) => end(e));
    Promise.resolve().then(() => fn(event, sink, context)).then(() => {
      if (!sink.writableEnded) sink.end();
    }, (e) => end(e));
  });
}
// Node.js before 24.5 (22.21 on the 22 line) ignores HTTP_PROXY and
// HTTPS_PROXY, which niwa sets so a function's outbound traffic leaves
// through its network position (niwa's egress proxy): the http and https
// modules' global agents are made to honour them (NO_PROXY too), so code
// and SDKs using those modules need no change. fetch (undici) is not
// covered on those versions. Newer Node.js honours the variables itself
// (NODE_USE_ENV_PROXY, which niwa sets).
function nativeEnvProxy() {
  const [maj, min] = process.versions.node.split(".").map(Number);
  return maj > 24 || (maj === 24 && min >= 5) || (maj === 22 && min >= 21) || maj === 23;
}

function installEnvProxy() {
  const raw = process.env.HTTP_PROXY || process.env.http_proxy;
  if (!raw || nativeEnvProxy()) return;
  let proxy;
  try { proxy = new URL(raw); } catch (e) { return; }
  const net = require("net"), tls = require("tls"), https = require("https");
  const pport = Number(proxy.port) || 80;
  const noProxy = (process.env.NO_PROXY || process.env.no_proxy || "").split(",").map((x) => x.trim().toLowerCase()).filter(Boolean);
  const bypass = (host, port) => {
    host = String(host || "").toLowerCase();
    return noProxy.some((n) => n === "*" || n === host || n === host + ":" + port || (n.startsWith(".") && host.endsWith(n)));
  };
  const target = (host, port) => (host.includes(":") ? "[" + host + "]" : host) + ":" + port;
  class ProxyHttpAgent extends http.Agent {
    addRequest(req, options) {
      const host = options.host || options.hostname || "localhost", port = options.port || 80;
      if (bypass(host, port)) return super.addRequest(req, options);
      // Absolute form, sent to the proxy.
      if (!/^https?:\/\//.test(req.path)) req.path = "http://" + target(host, port) + req.path;
      return super.addRequest(req, Object.assign({}, options, { host: proxy.hostname, hostname: proxy.hostname, port: pport }));
    }
  }
  class ProxyHttpsAgent extends https.Agent {
    createConnection(options, cb) {
      const host = options.host || options.hostname || "localhost", port = options.port || 443;
      if (bypass(host, port)) return tls.connect(options);
      // A CONNECT tunnel through the proxy, then TLS to the host.
      const sock = net.connect(pport, proxy.hostname);
      let buf = Buffer.alloc(0);
      const fail = (e) => { sock.destroy(); cb(e); };
      const onData = (d) => {
        buf = Buffer.concat([buf, d]);
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        sock.removeListener("data", onData);
        sock.removeListener("error", fail);
        const status = buf.subarray(0, end).toString("latin1").split(" ")[1];
        if (status !== "200") return fail(new Error("proxy refused CONNECT " + target(host, port) + ": " + status));
        cb(null, tls.connect(Object.assign({}, options, { socket: sock, servername: options.servername || (net.isIP(host) ? undefined : host) })));
      };
      sock.on("data", onData);
      sock.once("error", fail);
      sock.once("connect", () => sock.write("CONNECT " + target(host, port) + " HTTP/1.1\r\nHost: " + target(host, port) + "\r\n\r\n"));
      return undefined;
    }
  }
  http.globalAgent = new ProxyHttpAgent({ keepAlive: true });
  https.globalAgent = new ProxyHttpsAgent({ keepAlive: true });
}
installEnvProxy();

function errorShape(err) {
  if (err instanceof Error) {
    return { errorType: err.name || "Error", errorMessage: err.message, trace: (err.stack || "").split("\n") };
  }
  return { errorType: typeof err === "string" ? "string" : "Error", errorMessage: typeof err === "string" ? err : JSON.stringify(err), trace: [] };
}

async function loadHandler() {
  const handler = process.env._HANDLER || "";
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = handler.lastIndexOf(".");
  if (dot < 0) {
    return { err: { errorType: "Runtime.MalformedHandlerName", errorMessage: "Bad handler " + handler } };
  }
  const modPath = handler.slice(0, dot), fnPath = handler.slice(dot + 1);
  let mod;
  const base = path.resolve(root, modPath);
  try {
    let file = null;
    for (const ext of [".js", ".mjs", ".cjs"]) {
      if (fs.existsSync(base + ext)) { file = base + ext; break; }
    }
    if (file === null) {
      const e = new Error("Cannot find module '" + modPath + "'");
      e.code = "MODULE_NOT_FOUND";
      throw e;
    }
    if (file.endsWith(".mjs")) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (e) {
        if (e.code === "ERR_REQUIRE_ESM") mod = await import(pathToFileURL(file).href);
        else throw e;
      }
    }
  } catch (e) {
    if (e.code === "MODULE_NOT_FOUND") {
      return { err: { errorType: "Runtime.ImportModuleError", errorMessage: "Error: Cannot find module '" + modPath + "'\nRequire stack:\n- " + __filename, trace: [] } };
    }
    if (e instanceof SyntaxError) {
      return { err: { errorType: "Runtime.UserCodeSyntaxError", errorMessage: e.name + ": " + e.message, trace: (e.stack || "").split("\n") } };
    }
    return { err: errorShape(e) };
  }
  let fn = mod;
  for (const part of fnPath.split(".")) fn = fn == null ? undefined : fn[part];
  if (typeof fn !== "function" && mod && mod.default) {
    fn = mod.default;
    for (const part of fnPath.split(".")) fn = fn == null ? undefined : fn[part];
  }
  if (typeof fn !== "function") {
    return { err: { errorType: "Runtime.HandlerNotFound", errorMessage: modPath + "." + fnPath + " is undefined or not exported", trace: [] } };
  }
  return { fn };
}

// Console output is written synchronously, so it is in the pipe before
// the result is posted; nothing to flush.
function flush(id) {}

function invokeHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      err ? reject(err) : resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e);
    try {
      const r = fn(event, context, callback);
      if (r && typeof r.then === "function") r.then((v) => callback(null, v), (e) => callback(e));
      else if (fn.length < 3) callback(null, r);
    } catch (e) {
      callback(e);
    }
  });
}

async function main() {
  const { fn, err } = await loadHandler();
  if (err) {
    writeSync(new Date().toISOString() + "\tundefined\tERROR\t" + JSON.stringify(err) + "\n");
    await call("POST", "init/error", JSON.stringify(err), { "Lambda-Runtime-Function-Error-Type": err.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", "invocation/next");
    const h = next.headers;
    const id = h["lambda-runtime-aws-request-id"];
    currentId = id;
    process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"] || "";
    const deadline = Number(h["lambda-runtime-deadline-ms"] || 0);
    const context = {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: id,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    };
    if (h["lambda-runtime-client-context"]) {
      try { context.clientContext = JSON.parse(h["lambda-runtime-client-context"]); } catch (e) { /* ignore */ }
    }
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString("utf8")) : {};
    } catch (e) {
      event = next.body.toString("utf8");
    }
    try {
      if (fn[STREAMING]) {
        await invokeStreaming(fn, event, context, id);
        continue;
      }
      const result = await invokeHandler(fn, event, context);
      const out = result === undefined ? "null" : JSON.stringify(result);
      flush(id);
      await call("POST", "invocation/" + id + "/response", out === undefined ? "null" : out);
    } catch (e) {
      const shape = errorShape(e);
      writeSync(new Date().toISOString() + "\t" + id + "\tERROR\tInvoke Error \t" + JSON.stringify(shape) + "\n");
      flush(id);
      await call("POST", "invocation/" + id + "/error", JSON.stringify(shape), { "Lambda-Runtime-Function-Error-Type": shape.errorType });
    }
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + "\n");
  process.exit(1);
});
