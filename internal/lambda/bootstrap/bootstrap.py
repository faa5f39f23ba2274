# niwa's Lambda runtime for python: the Runtime API loop AWS's runtime
# interface client runs, written for niwa and run by the host's python3.
import http.client
import importlib
import json
import logging
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
SELF = os.path.abspath(__file__)


class Conn:
    def __init__(self):
        host, port = API.rsplit(":", 1)
        self.c = http.client.HTTPConnection(host, int(port))

    def req(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                self.c.request(method, "/2018-06-01/runtime/" + path, body=body, headers=headers or {})
                r = self.c.getresponse()
                return r, r.read()
            except (http.client.HTTPException, ConnectionError):
                self.c.close()
                if attempt:
                    raise


def flush(request_id):
    # Everything printed must be in the pipe before the result is posted:
    # niwa attributes the output read by then to this invocation.
    sys.stdout.flush()
    sys.stderr.flush()


def error_shape(exc, etype=None):
    # The runtime's own frames are not the function's: AWS leaves them out.
    tb = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != SELF]
    return {
        "errorMessage": str(exc),
        "errorType": etype or type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(tb),
    }


class Context:
    def __init__(self, headers):
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.aws_request_id = headers.get("Lambda-Runtime-Aws-Request-Id")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline = int(headers.get("Lambda-Runtime-Deadline-Ms") or 0)
        self.identity = None
        self.client_context = None
        cc = headers.get("Lambda-Runtime-Client-Context")
        if cc:
            try:
                self.client_context = json.loads(cc)
            except ValueError:
                self.client_context = None
        ci = headers.get("Lambda-Runtime-Cognito-Identity")
        if ci:
            try:
                self.identity = json.loads(ci)
            except ValueError:
                self.identity = None

    def get_remaining_time_in_millis(self):
        return max(self._deadline - int(time.time() * 1000), 0)


class LambdaLogHandler(logging.Handler):
    # AWS's format: [LEVEL]\t<timestamp>\t<request id>\t<message>
    def __init__(self):
        super().__init__()
        self.request_id = ""

    def emit(self, record):
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % record.msecs
        msg = self.format(record)
        sys.stdout.write("[%s]\t%s\t%s\t%s\n" % (record.levelname, ts, self.request_id, msg))


def load_handler(conn):
    handler = os.environ.get("_HANDLER", "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", ".")
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        return None, {"errorMessage": "Bad handler '%s': %s" % (handler, e), "errorType": "Runtime.MalformedHandlerName",
                      "requestId": "", "stackTrace": []}
    sys.path.insert(0, task_root)
    try:
        mod = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        return None, {"errorMessage": "Unable to import module '%s': %s" % (modname, e), "errorType": "Runtime.ImportModuleError",
                      "requestId": "", "stackTrace": []}
    except SyntaxError as e:
        return None, {"errorMessage": "Syntax error in module '%s': %s" % (modname, e), "errorType": "Runtime.UserCodeSyntaxError",
                      "requestId": "", "stackTrace": traceback.format_list(traceback.extract_tb(e.__traceback__))}
    except Exception as e:
        return None, error_shape(e)
    fn = getattr(mod, fname, None)
    if fn is None:
        return None, {"errorMessage": "Handler '%s' missing on module '%s'" % (fname, modname), "errorType": "Runtime.HandlerNotFound",
                      "requestId": "", "stackTrace": []}
    return fn, None


def main():
    conn = Conn()
    opt = os.environ.get("NIWA_LAMBDA_OPT")
    if opt:
        v = "python%d.%d" % sys.version_info[:2]
        for p in (os.path.join(opt, "python", "lib", v, "site-packages"), os.path.join(opt, "python")):
            if os.path.isdir(p):
                sys.path.insert(0, p)
    log_handler = LambdaLogHandler()
    root = logging.getLogger()
    root.handlers = [log_handler]
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "WARNING").upper() if os.environ.get("AWS_LAMBDA_LOG_LEVEL") else logging.WARNING)
    fn, err = load_handler(conn)
    if err is not None:
        sys.stdout.write("[ERROR] %s: %s\n" % (err["errorType"], err["errorMessage"]))
        sys.stdout.flush()
        conn.req("POST", "init/error", json.dumps(err), {"Lambda-Runtime-Function-Error-Type": err["errorType"]})
        sys.exit(1)
    while True:
        r, body = conn.req("GET", "invocation/next")
        headers = {k: v for k, v in r.getheaders()}
        rid = headers.get("Lambda-Runtime-Aws-Request-Id", "")
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("Lambda-Runtime-Trace-Id", "")
        log_handler.request_id = rid
        ctx = Context(headers)
        try:
            event = json.loads(body) if body else {}
            result = fn(event, ctx)
            out = json.dumps(result)
        except Exception as e:
            shape = error_shape(e)
            sys.stdout.write("[ERROR] %s: %s\nTraceback (most recent call last):\n%s" % (
                shape["errorType"], shape["errorMessage"], "".join(shape["stackTrace"])))
            flush(rid)
            conn.req("POST", "invocation/%s/error" % rid, json.dumps(shape), {"Lambda-Runtime-Function-Error-Type": shape["errorType"]})
            continue
        flush(rid)
        conn.req("POST", "invocation/%s/response" % rid, out)


if __name__ == "__main__":
    main()
