package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// principalWorkloads sign as the callers real users of niwa are: an IAM
// user's access key (CI, applications with keys) and an assumed-role
// session (CDK, code running as a role). The other rows sign as the
// account root, for which authorization reads no policy; these make
// every request look the caller up, load its policies and evaluate
// them, with IAM enforcement on (niwa's default). moto accepts the same
// calls (it checks no policy by default), so the rows stay side by side.
func principalWorkloads() []workload {
	var userCreds, roleCreds perServer[aws.CredentialsProvider]
	as := func(cfg aws.Config, p *perServer[aws.CredentialsProvider]) aws.Config {
		c := cfg.Copy()
		c.Credentials = p.get(cfg)
		return c
	}
	body := bytes.Repeat([]byte("x"), 1024)
	// user makes an IAM user allowed by an inline policy (and the managed
	// policy arns) and returns a provider of a new access key of it.
	user := func(ctx context.Context, cfg aws.Config, name, inline string, managed ...string) (aws.CredentialsProvider, error) {
		c := iam.NewFromConfig(cfg)
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			return nil, err
		}
		if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("bench"), PolicyDocument: aws.String(inline)}); err != nil {
			return nil, err
		}
		for _, arn := range managed {
			if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
				return nil, err
			}
		}
		k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			return nil, err
		}
		return credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""), nil
	}
	return []workload{
		{name: "S3 GetObject 1KiB as an IAM user", setup: func(ctx context.Context, cfg aws.Config) error {
			if err := s3Object(ctx, cfg, "bench-get-user", "obj", body); err != nil {
				return err
			}
			p, err := user(ctx, cfg, "bench-s3-reader",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bench-get-user","arn:aws:s3:::bench-get-user/*"]}]}`)
			if err != nil {
				return err
			}
			userCreds.set(cfg, p)
			return nil
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			return s3GetAll(ctx, s3PathClient(as(cfg, &userCreds)), "bench-get-user", "obj", len(body))
		}},
		{name: "DynamoDB GetItem as an assumed role", setup: func(ctx context.Context, cfg aws.Config) error {
			if err := dynamodbTable(ctx, cfg, "bench-get-role"); err != nil {
				return err
			}
			id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				return err
			}
			account := aws.ToString(id.Account)
			c := iam.NewFromConfig(cfg)
			// The role's permissions: a customer managed policy, as CDK
			// and most roles have, allowing the read on the table.
			pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bench-ddb-read"), PolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:*:` + account + `:table/bench-get-role"}]}`)})
			if err != nil {
				return err
			}
			role, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bench-ddb-reader"), AssumeRolePolicyDocument: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sts:AssumeRole"}]}`)})
			if err != nil {
				return err
			}
			if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("bench-ddb-reader"), PolicyArn: pol.Policy.Arn}); err != nil {
				return err
			}
			// Roles may not be assumed by the account root: a user
			// allowed sts:AssumeRole assumes it.
			p, err := user(ctx, cfg, "bench-ddb-assumer",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+aws.ToString(role.Role.Arn)+`"}]}`)
			if err != nil {
				return err
			}
			uc := cfg.Copy()
			uc.Credentials = p
			out, err := sts.NewFromConfig(uc).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("bench")})
			if err != nil {
				return err
			}
			cr := out.Credentials
			roleCreds.set(cfg, credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)))
			return nil
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := dynamodb.NewFromConfig(as(cfg, &roleCreds)).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench-get-role"), Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberN{Value: fmt.Sprint(i % 100)},
			}})
			return err
		}},
	}
}

// dynamodbTable creates a table of 100 items on partition "p", as the
// DynamoDB rows' tables.
func dynamodbTable(ctx context.Context, cfg aws.Config, name string) error {
	c := dynamodb.NewFromConfig(cfg)
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: benchItem("p", i)}); err != nil {
			return err
		}
	}
	return nil
}
