# Sourced by the S18 scripts: s18_function_zip WORK builds WORK/fn.zip,
# the S18 function (S18-rds-lambda/lambda_function.py) and its table
# loader (S18-rds-lambda/setup.py, handler setup.handler) with Debian's
# pymysql copied in beside it, as a user copies a pip install into the
# zip. PYMYSQL_DIR overrides where pymysql is.
s18_function_zip() {
  local work="$1" lib pymysql_dir
  lib="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  pymysql_dir="${PYMYSQL_DIR:-/usr/lib/python3/dist-packages/pymysql}"
  [ -d "$pymysql_dir" ] || { echo "pymysql not found at $pymysql_dir (apt-get install python3-pymysql)" >&2; return 1; }
  mkdir -p "$work/pkg"
  cp -r "$pymysql_dir" "$work/pkg/pymysql"
  cp "$lib/../S18-rds-lambda/lambda_function.py" "$work/pkg/lambda_function.py"
  cp "$lib/../S18-rds-lambda/setup.py" "$work/pkg/setup.py"
  (cd "$work/pkg" && python3 -c 'import os, zipfile
with zipfile.ZipFile("../fn.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk("."):
        for f in files:
            if not f.endswith(".pyc"):
                z.write(os.path.join(root, f))')
}
