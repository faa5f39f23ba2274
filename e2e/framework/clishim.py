import json, os, socket, struct, sys

# The `aws` the scenario scripts (and boto3 scripts) find first on PATH
# (e2e/framework/cliserver.go): hands its argv, environment, working
# directory and stdin/stdout/stderr to the aws CLI server at SOCKET and
# exits with the call's exit code. If it is killed, the server kills the
# call. Run as `python3 -I -S`, so its own start-up is a few milliseconds.
SOCKET = sys.argv.pop(1)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(SOCKET)
req = json.dumps({"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}).encode()
socket.send_fds(s, [struct.pack("!I", len(req)) + req], [0, 1, 2])
answer = b""
while not answer.endswith(b"\n"):
    chunk = s.recv(64)
    if not chunk:
        sys.exit("aws (e2e CLI server): the call ended without an exit code")
    answer += chunk
sys.exit(int(answer))
