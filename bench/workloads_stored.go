package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// storedName is the stored data set's row name; -workload selects it as
// it selects a workload.
const storedName = "Stored data set"

// storedPlan is a data set of user data stored through the SDK: S3
// objects of 1–8 KiB, DynamoDB items of about 1 KiB and SQS messages of
// 8 KiB (moto takes ~12 ms a message: 1 KiB ones would take it minutes),
// each up to its byte budget. The workloads store too little (~4 MiB)
// for "RSS growth per stored MiB" to say anything about the stores
// rather than about the fixed costs (models, the event history, code
// pages, heap room); this stores tens of MiB and measures the growth of
// that alone.
type storedPlan struct {
	s3Bytes, ddbBytes, sqsBytes int64
	// sqsMessage is one message's body size (SQS allows 1 MiB); with 10
	// a batch it sets how many calls the SQS share takes.
	sqsMessage int
	// prefix names the bucket, table and queue (distinct per run so a
	// test can store twice on one server).
	prefix string
}

// storedPlanMiB stores mib MiB of each kind.
func storedPlanMiB(mib float64) storedPlan {
	b := int64(mib * (1 << 20))
	return storedPlan{s3Bytes: b, ddbBytes: b, sqsBytes: b, sqsMessage: 8 << 10, prefix: "bench-stored"}
}

// storedObjectSize is the i-th object's size: 1 to 8 KiB, 4.5 KiB on
// average, never the same few sizes in a row.
func storedObjectSize(i int) int { return 1024 * (1 + (i*5)%8) }

// storedPerQueue is how many messages one queue gets (a multiple of
// SendMessageBatch's 10).
const storedPerQueue = 120

// storedItemData is the data attribute's length, so that an item is
// ~1 KiB (DynamoDB's item size: attribute names plus values).
const storedItemData = 960

// storedBody returns n bytes of incompressible-looking content for the
// i-th record (no store may deduplicate or compress it away, and no two
// records share it).
func storedBody(i, n int) []byte {
	b := make([]byte, n)
	x := uint64(i)*0x9e3779b97f4a7c15 + 1
	for j := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[j] = 'a' + byte(x%26)
	}
	return b
}

// ddbItemSize is DynamoDB's size of an item of string attributes:
// each attribute's name and value lengths, numbers counted by their
// digits (an approximation; DynamoDB's is (digits+1)/2 + 1).
func ddbItemSize(item map[string]ddbtypes.AttributeValue) int64 {
	var n int64
	for k, v := range item {
		n += int64(len(k))
		switch v := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			n += int64(len(v.Value))
		case *ddbtypes.AttributeValueMemberN:
			n += int64(len(v.Value))
		}
	}
	return n
}

// storeDataSet stores plan's data set on the server cfg points at, with
// conc clients, and returns the user bytes stored (object bodies, item
// sizes, message bodies) and the records (objects + items + messages).
func storeDataSet(ctx context.Context, cfg aws.Config, plan storedPlan, conc int) (stored int64, records int, err error) {
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(cfg)
	sq := sqs.NewFromConfig(cfg)
	bucket, table := plan.prefix, plan.prefix
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(cfg.Region)}}); err != nil {
		return 0, 0, fmt.Errorf("CreateBucket: %w", err)
	}
	if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		return 0, 0, fmt.Errorf("CreateTable: %w", err)
	}
	// Messages go to queues of at most storedPerQueue: moto's
	// SendMessageBatch slows with the queue's length (4 MiB of 4 KiB
	// messages in one queue took it 72 s, 1 MiB 1.5 s).
	var queues []*string
	queue := func(msg int) (*string, error) {
		for len(queues) <= msg/storedPerQueue {
			q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("%s-%03d", plan.prefix, len(queues)))})
			if err != nil {
				return nil, fmt.Errorf("CreateQueue: %w", err)
			}
			queues = append(queues, q.QueueUrl)
		}
		return queues[msg/storedPerQueue], nil
	}

	// The tasks: one PutObject, one BatchWriteItem of 25 items, one
	// SendMessageBatch of 10 messages each, interleaved so that the three
	// stores grow together.
	var tasks []func() (int64, int, error)
	var s3Tasks, ddbTasks, sqsTasks []func() (int64, int, error)
	for i, sum := 0, int64(0); sum < plan.s3Bytes; i++ {
		i, n := i, storedObjectSize(i)
		sum += int64(n)
		s3Tasks = append(s3Tasks, func() (int64, int, error) {
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("obj/%07d", i)), Body: bytes.NewReader(storedBody(i, n))})
			return int64(n), 1, err
		})
	}
	for i, sum := 0, int64(0); sum < plan.ddbBytes; {
		var reqs []ddbtypes.WriteRequest
		var size int64
		for ; len(reqs) < 25 && sum < plan.ddbBytes; i++ {
			item := map[string]ddbtypes.AttributeValue{
				"pk":   &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("item-%07d", i)},
				"n":    &ddbtypes.AttributeValueMemberN{Value: fmt.Sprint(i)},
				"data": &ddbtypes.AttributeValueMemberS{Value: string(storedBody(-1-i, storedItemData))},
			}
			reqs = append(reqs, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: item}})
			size += ddbItemSize(item)
			sum += ddbItemSize(item)
		}
		ddbTasks = append(ddbTasks, func() (int64, int, error) {
			out, err := ddb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{table: reqs}})
			if err == nil && len(out.UnprocessedItems) > 0 {
				err = fmt.Errorf("BatchWriteItem left %d tables' items unprocessed", len(out.UnprocessedItems))
			}
			return size, len(reqs), err
		})
	}
	for i, sum := 0, int64(0); sum < plan.sqsBytes; {
		var entries []sqstypes.SendMessageBatchRequestEntry
		var size int64
		url, err := queue(i)
		if err != nil {
			return 0, 0, err
		}
		for ; len(entries) < 10 && sum < plan.sqsBytes; i++ {
			body := string(storedBody(1<<30+i, plan.sqsMessage))
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(len(entries))), MessageBody: aws.String(body)})
			size += int64(len(body))
			sum += int64(len(body))
		}
		sqsTasks = append(sqsTasks, func() (int64, int, error) {
			out, err := sq.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries})
			if err == nil && len(out.Failed) > 0 {
				err = fmt.Errorf("SendMessageBatch: %d failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
			}
			return size, len(entries), err
		})
	}
	for i := 0; i < len(s3Tasks) || i < len(ddbTasks) || i < len(sqsTasks); i++ {
		for _, ts := range [][]func() (int64, int, error){s3Tasks, ddbTasks, sqsTasks} {
			if i < len(ts) {
				tasks = append(tasks, ts[i])
			}
		}
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan func() (int64, int, error))
	for c := 0; c < max(conc, 1); c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				n, k, terr := t()
				mu.Lock()
				if terr != nil && err == nil {
					err = terr
				}
				if terr == nil {
					stored += n
					records += k
				}
				mu.Unlock()
			}
		}()
	}
	for _, t := range tasks {
		next <- t
	}
	close(next)
	wg.Wait()
	return stored, records, err
}

// storedResult is one server's run of the data set: its memory before
// it (3 s idle, then a small set stored to page the code in), right
// after it, and 3 s idle after it.
type storedResult struct {
	before, after, settled procMemory
	stored                 int64
	records                int
	elapsed                time.Duration
	cpu                    time.Duration
}

// selectStored says whether filter (as -workload takes it) selects the
// stored data set.
func selectStored(filter string) bool {
	for _, f := range strings.Split(filter, "|") {
		if strings.Contains(strings.ToLower(storedName), strings.ToLower(f)) {
			return true
		}
	}
	return false
}

// measureStored stores plan on each server in turn (the other one idle)
// and reads its memory around it.
func measureStored(names []string, servers map[string]*server, plan storedPlan, conc int) map[string]storedResult {
	out := map[string]storedResult{}
	for _, name := range names {
		s := servers[name]
		pid := s.cmd.Process.Pid
		time.Sleep(3 * time.Second)
		// A small set first, not counted, so that the code storing it is
		// paged in (an idle niwa unmaps its binary) and "before" holds
		// it: the growth is the data's, not the code's.
		warm := storedPlanMiB(1.0 / 16)
		warm.prefix += "-warm"
		_, _, err := storeDataSet(context.Background(), config(s.endpoint), warm, conc)
		check(err)
		var r storedResult
		r.before = readProcMemory(pid)
		fmt.Fprintf(os.Stderr, "bench: %s %s\n", name, storedName)
		cpu0, began := cpuTime(pid), time.Now()
		r.stored, r.records, err = storeDataSet(context.Background(), config(s.endpoint), plan, conc)
		check(err)
		r.elapsed, r.cpu = time.Since(began), cpuTime(pid)-cpu0
		r.after = readProcMemory(pid)
		time.Sleep(3 * time.Second)
		r.settled = readProcMemory(pid)
		fmt.Fprintf(os.Stderr, "bench: %s %s: %d records, %.1f MiB in %v, %v of server CPU\n",
			name, storedName, r.records, float64(r.stored)/(1<<20), r.elapsed.Round(time.Millisecond), r.cpu.Round(time.Millisecond))
		out[name] = r
	}
	return out
}

// printStored writes the data set's table: memory before, right after
// and 3 s after it, and the growth per stored MiB of it alone, in all and
// split into anonymous and file-backed.
func printStored(out io.Writer, names []string, res map[string]storedResult) {
	if len(res) == 0 {
		return
	}
	r0 := res[names[0]]
	fmt.Fprintf(out, "\n%s: %.1f MiB of user data in %d records (S3 objects of 1–8 KiB, DynamoDB items of ~1 KiB in BatchWriteItem, SQS messages in SendMessageBatch), stored after every workload; before it each server idled 3 s, then stored a 1/16 MiB set (not counted) to page its code in; each server in turn.\n\n",
		storedName, float64(r0.stored)/(1<<20), r0.records)
	fmt.Fprintln(out, "| stored data set | "+strings.Join(names, " | ")+" |")
	fmt.Fprintln(out, "|---|"+strings.Repeat("---:|", len(names)))
	row := func(label string, f func(r storedResult) string) {
		fmt.Fprintf(out, "| %s |", label)
		for _, name := range names {
			fmt.Fprintf(out, " %s |", f(res[name]))
		}
		fmt.Fprintln(out)
	}
	mib := func(kb int64) string { return fmt.Sprintf("%.1f MiB", float64(kb)/1024) }
	per := func(kb int64, stored int64) string {
		if stored == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f MiB", float64(kb)/1024/(float64(stored)/(1<<20)))
	}
	row("time to store it / server CPU", func(r storedResult) string {
		return fmt.Sprintf("%.1f s / %.1f s", r.elapsed.Seconds(), r.cpu.Seconds())
	})
	row("RSS before (anonymous + file-backed)", func(r storedResult) string {
		return fmt.Sprintf("%s (%s + %s)", mib(r.before.rss), mib(r.before.anon), mib(r.before.file))
	})
	row("RSS right after", func(r storedResult) string {
		return fmt.Sprintf("%s (%s + %s)", mib(r.after.rss), mib(r.after.anon), mib(r.after.file))
	})
	row("RSS 3 s later, idle", func(r storedResult) string {
		return fmt.Sprintf("%s (%s + %s)", mib(r.settled.rss), mib(r.settled.anon), mib(r.settled.file))
	})
	row("**RSS growth per stored MiB, right after**", func(r storedResult) string {
		return "**" + per(r.after.rss-r.before.rss, r.stored) + "**"
	})
	row("– anonymous / file-backed", func(r storedResult) string {
		return per(r.after.anon-r.before.anon, r.stored) + " / " + per(r.after.file-r.before.file, r.stored)
	})
	row("**RSS growth per stored MiB, 3 s later**", func(r storedResult) string {
		return "**" + per(r.settled.rss-r.before.rss, r.stored) + "**"
	})
	row("– anonymous / file-backed", func(r storedResult) string {
		return per(r.settled.anon-r.before.anon, r.stored) + " / " + per(r.settled.file-r.before.file, r.stored)
	})
}
