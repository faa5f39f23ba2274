package rest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// TestXMLEventStreamSDK: the REST-XML codec answers an operation whose
// output payload is an event stream (S3 SelectObjectContent) in a form
// aws-sdk-go-v2's S3 client decodes: raw Records payloads, XML Stats
// details, an empty End event.
func TestXMLEventStreamSDK(t *testing.T) {
	svc := loadModel(t, "s3")
	op := svc.Operations["SelectObjectContent"]
	c := NewXML().(*Codec)
	stream := model.EventStream(func(ctx context.Context, send func(map[string]any) error) error {
		for _, ev := range []map[string]any{
			{"Records": map[string]any{"Payload": []byte("a,1\n")}},
			{"Records": map[string]any{"Payload": []byte("b,2\n")}},
			{"Stats": map[string]any{"Details": map[string]any{"BytesScanned": int64(100), "BytesProcessed": int64(90), "BytesReturned": int64(8)}}},
			{"End": map[string]any{}},
		} {
			if err := send(ev); err != nil {
				return err
			}
		}
		return nil
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := c.Encode(w, op, map[string]any{"Payload": stream}, protocol.Meta{RequestID: "R", HostID: "H", Context: r.Context()}); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	client := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, Credentials: aws.AnonymousCredentials{}})
	out, err := client.SelectObjectContent(context.Background(), &s3.SelectObjectContentInput{
		Bucket: aws.String("b"), Key: aws.String("k"), Expression: aws.String("select * from s3object"), ExpressionType: s3types.ExpressionTypeSql,
		InputSerialization:  &s3types.InputSerialization{CSV: &s3types.CSVInput{}},
		OutputSerialization: &s3types.OutputSerialization{CSV: &s3types.CSVOutput{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	es := out.GetStream()
	defer es.Close()
	var records string
	var stats *s3types.Stats
	ended := false
	for ev := range es.Events() {
		switch e := ev.(type) {
		case *s3types.SelectObjectContentEventStreamMemberRecords:
			records += string(e.Value.Payload)
		case *s3types.SelectObjectContentEventStreamMemberStats:
			stats = e.Value.Details
		case *s3types.SelectObjectContentEventStreamMemberEnd:
			ended = true
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	if err := es.Err(); err != nil {
		t.Fatal(err)
	}
	if records != "a,1\nb,2\n" || !ended || stats == nil || aws.ToInt64(stats.BytesScanned) != 100 || aws.ToInt64(stats.BytesReturned) != 8 {
		t.Errorf("records %q, end %v, stats %+v", records, ended, stats)
	}
}
