# The S18 function (seed 003): the row of table items whose id is
# event["key"], as JSON, read from the RDS MySQL instance with pymysql
# (bundled in the zip). Used by S18-rds-lambda and S18-protected-api.
import json, os
import pymysql

def lambda_handler(event, context):
    conn = pymysql.connect(host=os.environ["DB_ADDRESS"], port=int(os.environ["DB_PORT"]),
                           user=os.environ["DB_USER"], password=os.environ["DB_PASSWORD"],
                           database=os.environ["DB_NAME"], connect_timeout=5,
                           cursorclass=pymysql.cursors.DictCursor)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, name, price FROM items WHERE id = %s", (event["key"],))
            row = cur.fetchone()
    finally:
        conn.close()
    if row is None:
        return {"statusCode": 404, "body": json.dumps({"error": "no item " + event["key"]})}
    row["price"] = str(row["price"])
    return {"statusCode": 200, "body": json.dumps(row)}
