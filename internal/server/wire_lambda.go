package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
	"github.com/niwa-cloud/niwa/internal/service/logs"
	"github.com/niwa-cloud/niwa/internal/service/sqs"
)

// wireLambda wires Lambda: functions run as local processes, their code
// unpacked under the data dir (or a private temp dir removed on close),
// their execution-role credentials minted by STS, their output written to
// CloudWatch Logs, and other services reach them through the bus.
func wireLambda(d *deps) (*wiring, error) {
	store, err := d.store("lambda")
	if err != nil {
		return nil, err
	}
	// Lambda writes function output through the Logs service. Logs keeps
	// all its state in its store, so this instance and the one wireLogs
	// serves the API with are the same service.
	logStore, err := d.store("logs")
	if err != nil {
		return nil, err
	}
	workDir, cleanup, err := lambdaWorkDir(d.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	svc := lambda.New(lambda.Options{
		Store:       store,
		Blobs:       d.backend.Blobs(),
		Clock:       d.clock,
		Log:         d.log,
		Bus:         d.bus,
		WorkDir:     workDir,
		Endpoint:    d.endpoint,
		Credentials: stsRoleCredentials{d.sts}.Credentials,
		Roles: func(arn string) (bool, error) {
			_, ok, err := d.iam.svc.RoleByARN(arn)
			return ok, err
		},
		Logs: lambdaLogs{logs.New(logStore, d.clock)},
	})
	d.bus.Handle("lambda", events.HandlerFunc(svc.Deliver))
	if d.sqs != nil {
		svc.SetQueueSource(lambdaQueues{d.sqs})
	}
	code := codeRoute{d: d}
	return &wiring{
		impl:      svc,
		policies:  svc,
		namespace: "lambda",
		routes: []gateway.Route{
			{Name: "lambda-url", Match: svc.MatchURL, Handler: http.HandlerFunc(svc.ServeURL)},
			{Name: "lambda-code", Match: code.match, Handler: code},
		},
		close: func() error {
			err := svc.Close()
			cleanup()
			return err
		},
	}, nil
}

// lambdaWorkDir is where function code is unpacked: <data dir>/lambda
// when state is durable, else a private temporary directory.
func lambdaWorkDir(dataDir string) (string, func(), error) {
	if dataDir != "" {
		dir := filepath.Join(dataDir, "lambda")
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	dir, err := os.MkdirTemp("", "niwa-lambda-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// stsRoleCredentials mints execution-role credentials through STS.
type stsRoleCredentials struct{ sts *stsWiring }

func (s stsRoleCredentials) Credentials(now time.Time, account, roleARN, session string, d time.Duration) (lambda.Credentials, error) {
	c, err := s.sts.svc.IssueRoleCredentials(now, account, roleARN, session, d)
	if err != nil {
		return lambda.Credentials{}, err
	}
	return lambda.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
}

// lambdaLogs adapts CloudWatch Logs to Lambda's LogWriter.
type lambdaLogs struct{ logs *logs.Logs }

func (l lambdaLogs) AppendLogEvents(account, region, group, stream string, evs []lambda.LogEvent) error {
	out := make([]logs.LogEvent, len(evs))
	for i, e := range evs {
		out[i] = logs.LogEvent{Time: e.Time, Message: e.Message}
	}
	return l.logs.AppendLogEvents(account, region, group, stream, out)
}

// lambdaQueues adapts SQS to Lambda's QueueSource: event source mappings
// receive and delete through SQS's own receive path, so visibility
// timeouts and redrive to the dead-letter queue apply as for any consumer.
type lambdaQueues struct{ sqs *sqs.SQS }

func (q lambdaQueues) Receive(ctx context.Context, queueARN string, max int) ([]lambda.QueueMessage, error) {
	got, err := q.sqs.ReceiveForMapping(ctx, queueARN, max)
	if err != nil {
		return nil, err
	}
	out := make([]lambda.QueueMessage, len(got))
	for i, m := range got {
		out[i] = lambda.QueueMessage{MessageID: m.MessageID, ReceiptHandle: m.ReceiptHandle, Body: m.Body,
			MD5OfBody: m.MD5OfBody, Attributes: m.Attributes, MessageAttributes: m.MessageAttributes}
	}
	return out, nil
}

func (q lambdaQueues) Delete(ctx context.Context, queueARN string, receiptHandles []string) error {
	return q.sqs.DeleteForMapping(ctx, queueARN, receiptHandles)
}

// codeRoute serves deployment packages at the Location GetFunction and
// GetLayerVersion return (a presigned S3 URL on AWS).
type codeRoute struct{ d *deps }

const codePrefix = "/_niwa/lambda/code/"

func (c codeRoute) match(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, codePrefix)
}

func (c codeRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, codePrefix)
	rc, err := c.d.backend.Blobs().Open(id)
	if err != nil || id == "" || strings.Contains(id, "/") {
		http.NotFound(w, r)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(w, r, "code.zip", time.Time{}, rc)
}
