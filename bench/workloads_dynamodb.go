package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dynamodbWorkloads are PutItem, GetItem and a 10-item Query on one
// partition, each against its own table so the workloads do not interact.
func dynamodbWorkloads() []workload {
	create := func(name string) func(ctx context.Context, cfg aws.Config) error {
		return func(ctx context.Context, cfg aws.Config) error { return dynamodbTable(ctx, cfg, name) }
	}
	ws := []workload{
		{name: "DynamoDB PutItem", stored: 70, setup: create("bench-put"), op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("bench-put"), Item: benchItem(fmt.Sprintf("p%d", i%50), i)})
			return err
		}},
	}
	ws = append(ws, withReplay(workload{name: "DynamoDB GetItem", setup: create("bench-get"), op: func(ctx context.Context, cfg aws.Config, i int) error {
		_, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("bench-get"), Key: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberN{Value: fmt.Sprint(i % 100)},
		}})
		return err
	}}, replayOK(`"Item"`))...)
	return append(ws, []workload{
		{name: "DynamoDB Query", setup: create("bench-query"), op: func(ctx context.Context, cfg aws.Config, i int) error {
			lo := i % 90
			out, err := dynamodb.NewFromConfig(cfg).Query(ctx, &dynamodb.QueryInput{
				TableName:              aws.String("bench-query"),
				KeyConditionExpression: aws.String("pk = :p AND sk BETWEEN :lo AND :hi"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":p": &types.AttributeValueMemberS{Value: "p"}, ":lo": &types.AttributeValueMemberN{Value: fmt.Sprint(lo)},
					":hi": &types.AttributeValueMemberN{Value: fmt.Sprint(lo + 9)},
				},
			})
			if err == nil && out.Count != 10 {
				err = fmt.Errorf("query returned %d items, want 10", out.Count)
			}
			return err
		}},
	}...)
}

func benchItem(pk string, i int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":   &types.AttributeValueMemberS{Value: pk},
		"sk":   &types.AttributeValueMemberN{Value: fmt.Sprint(i)},
		"data": &types.AttributeValueMemberS{Value: "some payload of a typical item size"},
		"n":    &types.AttributeValueMemberN{Value: "42"},
		"tags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
	}
}
