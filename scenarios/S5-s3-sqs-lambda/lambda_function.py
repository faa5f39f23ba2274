"""sqs-message-receive (S5, seed 001): copy an uploaded object as hane2.jpg.

The tutorial's function reads the bucket and key of the upload, downloads
the object to a folder under /tmp and uploads it to the same bucket as
hane2.jpg. Triggered by an SQS event source mapping, each record of the
event is an SQS message whose body is the S3 notification, so the S3
record is parsed out of the body (S3's s3:TestEvent message carries no
Records and is skipped). hane2.jpg's own notification is skipped too, or
the copy would copy itself forever.
"""
import json
import os
import urllib.parse
from datetime import datetime

import boto3


def lambda_handler(event, context):
    s3 = boto3.resource('s3')
    for message in event['Records']:
        print('sqs message %s from %s (%s)' % (message['messageId'], message['eventSourceARN'], message['eventSource']))
        body = json.loads(message['body'])
        for record in body.get('Records', []):
            # バケット名取得
            bucket = s3.Bucket(record['s3']['bucket']['name'])
            # アップロードしたファイル名を取得
            key = urllib.parse.unquote_plus(record['s3']['object']['key'], encoding='utf-8')
            if key == 'hane2.jpg':
                print('skip ' + key)
                continue
            # Lambdaのローカルのファイル保存先(/tmp)を設定
            file_path = '/tmp/' + datetime.now().strftime('%Y-%m-%d-%H-%M-%S-%f')
            os.makedirs(file_path, exist_ok=True)
            # S3に格納したファイルを作成したフォルダにダウンロード
            bucket.download_file(key, os.path.join(file_path, key))
            # ファイルの名前を変えてS3にPUT
            bucket.upload_file(os.path.join(file_path, key), 'hane2.jpg')
            print('copied s3://%s/%s to hane2.jpg' % (bucket.name, key))
