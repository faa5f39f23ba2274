package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// sqsWorkloads measure the message path: a send alone, and a full
// send → receive → delete round (three calls per op).
func sqsWorkloads() []workload {
	var sendURL, roundURL string
	return []workload{
		{name: "SQS SendMessage", setup: func(ctx context.Context, cfg aws.Config) error {
			out, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench-send")})
			if err == nil {
				sendURL = *out.QueueUrl
			}
			return err
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &sendURL, MessageBody: aws.String(fmt.Sprintf("m%d", i))})
			return err
		}},
		{name: "SQS Send+Receive+Delete", setup: func(ctx context.Context, cfg aws.Config) error {
			out, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench-round")})
			if err == nil {
				roundURL = *out.QueueUrl
			}
			return err
		}, op: func(ctx context.Context, cfg aws.Config, i int) error {
			c := sqs.NewFromConfig(cfg)
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &roundURL, MessageBody: aws.String(fmt.Sprintf("m%d", i))}); err != nil {
				return err
			}
			r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &roundURL, MaxNumberOfMessages: 1})
			if err != nil {
				return err
			}
			if len(r.Messages) == 0 {
				return fmt.Errorf("nothing received")
			}
			_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &roundURL, ReceiptHandle: r.Messages[0].ReceiptHandle})
			return err
		}},
	}
}
