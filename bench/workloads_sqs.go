package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// sqsWorkloads measure the message path: a send alone, and a full
// send → receive → delete round (three calls per op). Queue URLs are kept
// per server (both servers are up at once, and their URLs differ).
func sqsWorkloads() []workload {
	var mu sync.Mutex
	urls := map[string]string{} // endpoint + queue name -> queue URL
	create := func(name string) func(ctx context.Context, cfg aws.Config) error {
		return func(ctx context.Context, cfg aws.Config) error {
			out, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			if err == nil {
				mu.Lock()
				urls[aws.ToString(cfg.BaseEndpoint)+" "+name] = *out.QueueUrl
				mu.Unlock()
			}
			return err
		}
	}
	url := func(cfg aws.Config, name string) *string {
		mu.Lock()
		defer mu.Unlock()
		u := urls[aws.ToString(cfg.BaseEndpoint)+" "+name]
		return &u
	}
	return []workload{
		{name: "SQS SendMessage", stored: 6, setup: create("bench-send"), op: func(ctx context.Context, cfg aws.Config, i int) error {
			_, err := sqs.NewFromConfig(cfg).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url(cfg, "bench-send"), MessageBody: aws.String(fmt.Sprintf("m%d", i))})
			return err
		}},
		{name: "SQS Send+Receive+Delete", setup: create("bench-round"), op: func(ctx context.Context, cfg aws.Config, i int) error {
			roundURL := url(cfg, "bench-round")
			c := sqs.NewFromConfig(cfg)
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: roundURL, MessageBody: aws.String(fmt.Sprintf("m%d", i))}); err != nil {
				return err
			}
			r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: roundURL, MaxNumberOfMessages: 1})
			if err != nil {
				return err
			}
			if len(r.Messages) == 0 {
				return fmt.Errorf("nothing received")
			}
			_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: roundURL, ReceiptHandle: r.Messages[0].ReceiptHandle})
			return err
		}},
	}
}
