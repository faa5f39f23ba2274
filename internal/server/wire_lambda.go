package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"

	dynamodbstreams "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
	"github.com/niwa-cloud/niwa/internal/service/logs"
	"github.com/niwa-cloud/niwa/internal/service/sqs"
	"github.com/niwa-cloud/niwa/internal/service/sts"
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
		DataKeys:          d.dataKeysOf(),
		Store:             store,
		Blobs:             d.backend.Blobs(),
		Clock:             d.clock,
		Log:               d.log,
		Bus:               d.bus,
		WorkDir:           workDir,
		Endpoint:          d.endpoint,
		Credentials:       stsRoleCredentials{d.sts}.Credentials,
		PlacedCredentials: stsRoleCredentials{d.sts}.PlacedCredentials,
		Roles: func(arn string) (bool, error) {
			_, ok, err := d.iam.svc.RoleByARN(arn)
			return ok, err
		},
		RoleAccess: lambdaRoleAccess(d),
		Egress:     lambdaEgress(d),
		Logs:       lambdaLogs{logs.New(logStore, d.clock, d.bus)},
	})
	d.bus.Handle("lambda", events.HandlerFunc(svc.Deliver))
	d.lambda = svc
	if d.sqs != nil {
		svc.SetQueueSource(lambdaQueues{d.sqs})
	}
	if d.dynamodb != nil {
		svc.SetStreamSource(lambdaStreams{d.dynamodb})
	}
	if d.s3 != nil {
		svc.SetObjectSource(d.s3)
	}
	if d.ec2 != nil {
		svc.SetNetwork(lambdaNetwork{d.ec2})
	}
	svc.ResumeAsync()
	code := codeRoute{d: d}
	decl := svc.Declare()
	// Function code served to the runtimes is the wiring's route.
	decl.Routes = append(decl.Routes, kit.Route{Name: "lambda-code", Match: code.match, Handler: code})
	decl.Close = func() error {
		err := svc.Close()
		cleanup()
		return err
	}
	return &wiring{Declaration: decl}, nil
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
	return dir, func() { _ = os.RemoveAll(dir) }, nil
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

// PlacedCredentials mints execution-role credentials that remember the
// function's VPC placement (aws:SourceVpc / aws:SourceVpce).
func (s stsRoleCredentials) PlacedCredentials(now time.Time, account, roleARN, session string, d time.Duration, at lambda.Placement) (lambda.Credentials, error) {
	var pos *sts.NetworkPosition
	if at.VpcID != "" {
		pos = &sts.NetworkPosition{Region: at.Region, VpcID: at.VpcID, SubnetIDs: at.SubnetIDs}
	}
	c, err := s.sts.svc.IssuePlacedRoleCredentials(now, account, roleARN, session, d, pos)
	if err != nil {
		return lambda.Credentials{}, err
	}
	return lambda.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
}

// lambdaEgress gives each execution environment the egress proxy's
// listener for its network position (nil when EC2 is not wired: no
// proxy, functions call out directly).
func lambdaEgress(d *deps) lambda.Egress {
	if d.ec2 == nil {
		return nil
	}
	p := d.egressProxy()
	return func(ctx context.Context, at lambda.EgressPosition) ([]string, error) {
		return p.Env(ctx, netpos.Position{Account: at.Account, Region: at.Region, VpcID: at.VpcID, SubnetID: at.SubnetID, SecurityGroupIDs: at.SecurityGroupIDs})
	}
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

// lambdaNetwork adapts EC2 to Lambda's Network: the VPC of a subnet or a
// security group.
type lambdaNetwork struct{ ec2 *ec2.EC2 }

func (n lambdaNetwork) SubnetVPC(account, region, id string) (string, bool, error) {
	sub, ok, err := n.ec2.Subnet(account, region, id)
	if err != nil || !ok {
		return "", ok, err
	}
	return ptr.Deref(sub.VpcId), true, nil
}

func (n lambdaNetwork) SecurityGroupVPC(account, region, id string) (string, bool, error) {
	g, ok, err := n.ec2.SecurityGroup(account, region, id)
	if err != nil || !ok {
		return "", ok, err
	}
	return ptr.Deref(g.VpcId), true, nil
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

// lambdaStreams adapts DynamoDB Streams to Lambda's StreamSource: records
// are read straight from the table's stream and shaped as the records of
// a Lambda DynamoDB event (attribute values in their JSON form,
// ApproximateCreationDateTime in epoch seconds).
type lambdaStreams struct{ db *dynamodb.DynamoDB }

func (s lambdaStreams) ReadStream(ctx context.Context, streamARN, from string, limit int) ([]lambda.StreamRecord, string, error) {
	parts := strings.Split(streamARN, ":")
	if len(parts) < 6 {
		return nil, "", fmt.Errorf("lambda: not a stream ARN: %s", streamARN)
	}
	recs, next, _, err := s.db.ReadStream(ctx, parts[4], parts[3], streamARN, from, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]lambda.StreamRecord, len(recs))
	for i, r := range recs {
		ddb := map[string]any{}
		if sr := r.Dynamodb; sr != nil {
			if sr.ApproximateCreationDateTime != nil {
				ddb["ApproximateCreationDateTime"] = float64(sr.ApproximateCreationDateTime.Unix())
			}
			for name, img := range map[string]map[string]dynamodbstreams.AttributeValue{"Keys": sr.Keys, "NewImage": sr.NewImage, "OldImage": sr.OldImage} {
				if img != nil {
					ddb[name] = streamImage(img)
				}
			}
			ddb["SequenceNumber"] = ptr.Deref(sr.SequenceNumber)
			if sr.SizeBytes != nil {
				ddb["SizeBytes"] = *sr.SizeBytes
			}
			ddb["StreamViewType"] = ptr.Deref(sr.StreamViewType)
			out[i].SequenceNumber = ptr.Deref(sr.SequenceNumber)
		}
		out[i].ShardID = dynamodb.StreamShardID(streamARN)
		ev := map[string]any{
			"eventID": ptr.Deref(r.EventID), "eventName": ptr.Deref(r.EventName), "eventVersion": ptr.Deref(r.EventVersion),
			"eventSource": ptr.Deref(r.EventSource), "awsRegion": ptr.Deref(r.AwsRegion), "dynamodb": ddb,
		}
		if r.UserIdentity != nil {
			ev["userIdentity"] = map[string]any{"type": ptr.Deref(r.UserIdentity.Type), "principalId": ptr.Deref(r.UserIdentity.PrincipalId)}
		}
		out[i].Event = ev
	}
	return out, next, nil
}

func streamImage(m map[string]dynamodbstreams.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = streamAttr(v)
	}
	return out
}

// streamAttr is an attribute value in DynamoDB's JSON form ({"S": "x"}).
func streamAttr(v dynamodbstreams.AttributeValue) map[string]any {
	switch {
	case v.S != nil:
		return map[string]any{"S": *v.S}
	case v.N != nil:
		return map[string]any{"N": *v.N}
	case v.B != nil:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.B)}
	case v.SS != nil:
		return map[string]any{"SS": v.SS}
	case v.NS != nil:
		return map[string]any{"NS": v.NS}
	case v.BS != nil:
		bs := make([]string, len(v.BS))
		for i, b := range v.BS {
			bs[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": bs}
	case v.BOOL != nil:
		return map[string]any{"BOOL": *v.BOOL}
	case v.NULL != nil:
		return map[string]any{"NULL": *v.NULL}
	case v.M != nil:
		return map[string]any{"M": streamImage(v.M)}
	case v.L != nil:
		l := make([]any, len(v.L))
		for i, e := range v.L {
			l[i] = streamAttr(e)
		}
		return map[string]any{"L": l}
	}
	return map[string]any{"NULL": true}
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
	defer func() { _ = rc.Close() }()
	w.Header().Set("Content-Type", "application/zip")
	http.ServeContent(w, r, "code.zip", time.Time{}, rc)
}
