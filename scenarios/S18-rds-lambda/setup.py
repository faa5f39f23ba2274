# The S18 loader: runs event["sql"] (a list of statements) against the RDS
# MySQL instance and returns the last statement's rows. The database is
# private to its VPC's allowed security group, as in the tutorial, so the
# table is loaded from a function in that group rather than from the host.
import os
import pymysql

def handler(event, context):
    conn = pymysql.connect(host=os.environ["DB_ADDRESS"], port=int(os.environ["DB_PORT"]),
                           user=os.environ["DB_USER"], password=os.environ["DB_PASSWORD"],
                           database=os.environ["DB_NAME"], connect_timeout=5)
    try:
        with conn.cursor() as cur:
            for sql in event["sql"]:
                cur.execute(sql)
            rows = cur.fetchall()
        conn.commit()
    finally:
        conn.close()
    return [list(r) for r in rows]
