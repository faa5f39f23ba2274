package main

// service is one AWS API niwa generates code for.
type service struct {
	// Name is niwa's short name and the directory under internal/api.
	Name string
	// Model is the directory under models/apis in aws-sdk-go.
	Model string
}

// services is THE list of generated APIs, kept in one place.
func services() []service {
	return []service{
		{Name: "acm", Model: "acm"},
		{Name: "apigateway", Model: "apigateway"},
		{Name: "apigatewayv2", Model: "apigatewayv2"},
		{Name: "athena", Model: "athena"},
		{Name: "cloudformation", Model: "cloudformation"},
		{Name: "cloudfront", Model: "cloudfront"},
		{Name: "cloudtrail", Model: "cloudtrail"},
		{Name: "cloudwatch", Model: "monitoring"},
		{Name: "dynamodb", Model: "dynamodb"},
		{Name: "dynamodbstreams", Model: "streams.dynamodb"},
		{Name: "ec2", Model: "ec2"},
		{Name: "ecr", Model: "ecr"},
		{Name: "elb", Model: "elasticloadbalancing"},
		{Name: "elbv2", Model: "elasticloadbalancingv2"},
		{Name: "events", Model: "eventbridge"},
		{Name: "glue", Model: "glue"},
		{Name: "iam", Model: "iam"},
		{Name: "kms", Model: "kms"},
		{Name: "lambda", Model: "lambda"},
		{Name: "logs", Model: "logs"},
		{Name: "rds", Model: "rds"},
		{Name: "rdsdata", Model: "rds-data"},
		{Name: "route53", Model: "route53"},
		{Name: "s3", Model: "s3"},
		{Name: "scheduler", Model: "scheduler"},
		{Name: "secretsmanager", Model: "secretsmanager"},
		{Name: "ses", Model: "email"},
		{Name: "sesv2", Model: "sesv2"},
		{Name: "sns", Model: "sns"},
		{Name: "sqs", Model: "sqs"},
		{Name: "ssm", Model: "ssm"},
		{Name: "sts", Model: "sts"},
		{Name: "wafv2", Model: "wafv2"},
	}
}
