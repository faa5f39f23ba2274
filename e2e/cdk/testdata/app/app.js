// A small CDK app: the function writes the item it is invoked with to the
// table. Plain JavaScript, so no TypeScript compile step runs.
const path = require('path');
const cdk = require('aws-cdk-lib');
const dynamodb = require('aws-cdk-lib/aws-dynamodb');
const lambda = require('aws-cdk-lib/aws-lambda');
const s3 = require('aws-cdk-lib/aws-s3');
const sqs = require('aws-cdk-lib/aws-sqs');

class NiwaCdkStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const table = new dynamodb.Table(this, 'Items', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    const queue = new sqs.Queue(this, 'Jobs', { visibilityTimeout: cdk.Duration.seconds(60) });
    const bucket = new s3.Bucket(this, 'Data', { removalPolicy: cdk.RemovalPolicy.DESTROY });
    const fn = new lambda.Function(this, 'Writer', {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, 'fn')),
      timeout: cdk.Duration.seconds(30),
      environment: { TABLE_NAME: table.tableName, QUEUE_URL: queue.queueUrl, BUCKET_NAME: bucket.bucketName },
    });
    table.grantWriteData(fn);
    new cdk.CfnOutput(this, 'FunctionName', { value: fn.functionName });
    new cdk.CfnOutput(this, 'TableName', { value: table.tableName });
    new cdk.CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
    new cdk.CfnOutput(this, 'BucketName', { value: bucket.bucketName });
  }
}

const app = new cdk.App();
new NiwaCdkStack(app, 'NiwaCdkApp', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
