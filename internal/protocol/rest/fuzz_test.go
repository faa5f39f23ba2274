package rest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// FuzzRESTRoute routes and decodes arbitrary requests against the S3 and
// Lambda models: no panic, and every failure is an AWS error.
func FuzzRESTRoute(f *testing.F) {
	s3 := loadModel(f, "s3")
	lambda := loadModel(f, "lambda")
	xmlCodec := NewXML().(*Codec)
	jsonCodec := NewJSON().(*Codec)
	f.Add("PUT", "/b/k%20x/y?partNumber=1&uploadId=u", "x-amz-copy-source", "/s/k", "", "<a/>")
	f.Add("GET", "/b?list-type=2&max-keys=abc", "x-amz-expected-bucket-owner", "1", "host", "")
	f.Add("POST", "/b/k?uploadId=1", "content-type", "application/xml", "", "<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part>")
	f.Add("GET", "/2015-03-31/functions/f%ZZ/configuration", "", "", "", "")
	f.Add("POST", "/2015-03-31/functions", "content-type", "application/json", "", `{"FunctionName":1}`)
	f.Add("PUT", "/b/k", "x-amz-meta-", "v", "bkt", "")
	f.Fuzz(func(t *testing.T, method, target, hk, hv, hostBucket, body string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		for _, c := range []struct {
			codec *Codec
			svc   any
		}{{xmlCodec, s3}, {jsonCodec, lambda}} {
			r := &http.Request{Method: method, URL: u, Header: http.Header{}, Host: "h", Body: io.NopCloser(strings.NewReader(body))}
			if hk != "" && !strings.ContainsAny(hk, ":\r\n ") {
				r.Header.Set(hk, hv)
			}
			req := protocol.NewRequest(r, nil)
			req.HostBucket = hostBucket
			svc := s3
			if c.codec == jsonCodec {
				svc = lambda
			}
			op, err := c.codec.Resolve(svc, req)
			if err != nil {
				var ae *awserr.Error
				if ae = awserr.As(err); ae.Code.Code == "InternalFailure" {
					t.Fatalf("resolve: unshaped error %v", err)
				}
				c.codec.EncodeError(httptest.NewRecorder(), svc, nil, ae, protocol.Meta{})
				continue
			}
			in, err := c.codec.Decode(op, req)
			if err != nil {
				ae := awserr.As(err)
				if ae.Code.Code == "InternalFailure" {
					t.Fatalf("decode: unshaped error %v", err)
				}
				c.codec.EncodeError(httptest.NewRecorder(), svc, op, ae, protocol.Meta{})
				continue
			}
			_ = in
		}
	})
}

// FuzzRESTDecode decodes arbitrary bodies and headers for S3
// PutBucketTagging (XML payload) and Lambda CreateFunction (JSON body).
func FuzzRESTDecode(f *testing.F) {
	s3 := loadModel(f, "s3")
	lambda := loadModel(f, "lambda")
	xmlCodec := NewXML().(*Codec)
	jsonCodec := NewJSON().(*Codec)
	f.Add(`<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`, "Content-MD5", "x")
	f.Add(`{"FunctionName":"f","Code":{"ZipFile":"UEsDBA=="},"Timeout":3}`, "X-Amz-Date", "x")
	f.Add(`<?xml version="1.0"?><!DOCTYPE x><Tagging>`, "", "")
	f.Fuzz(func(t *testing.T, body, hk, hv string) {
		for _, c := range []struct {
			codec  *Codec
			method string
			target string
		}{{xmlCodec, "PUT", "/b?tagging"}, {jsonCodec, "POST", "/2015-03-31/functions"}} {
			r := httptest.NewRequest(c.method, c.target, strings.NewReader(body))
			if hk != "" && !strings.ContainsAny(hk, ":\r\n ") {
				r.Header.Set(hk, hv)
			}
			req := protocol.NewRequest(r, nil)
			svc := s3
			if c.codec == jsonCodec {
				svc = lambda
			}
			op, err := c.codec.Resolve(svc, req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.codec.Decode(op, req); err != nil {
				if ae := awserr.As(err); ae.Code.Code == "InternalFailure" {
					t.Fatalf("unshaped error %v", err)
				}
			}
		}
	})
}
