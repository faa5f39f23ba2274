import os
import boto3


def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    table.put_item(Item={"id": event["id"], "note": event.get("note", ""), "request": context.aws_request_id})
    return {"written": event["id"], "table": os.environ["TABLE_NAME"]}
