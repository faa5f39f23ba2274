package server

import (
	"github.com/niwa-cloud/niwa/internal/api"
	cloudformationapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	dynamodbstreamsapi "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/service/iam"
	"github.com/niwa-cloud/niwa/internal/service/sts"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// notYet stands for a service whose API niwa routes and decodes but whose
// operations are not implemented: every call answers NotImplemented naming
// the operation, never a silent success.
type notYet struct{}

type built struct {
	services []*gateway.Service
	sts      *sts.STS
	iamKeys  iamKeys
}

// buildServices creates every service on its own store. Order matters
// only where two services share a signing name: the first wins requests
// that carry no X-Amz-Target (dynamodb before dynamodbstreams).
func buildServices(backend storage.Backend, cs *codecs.Set, static auth.StaticCredentials) (*built, error) {
	stores := map[string]storage.Store{}
	store := func(name string) (storage.Store, error) {
		if s, ok := stores[name]; ok {
			return s, nil
		}
		s, err := backend.Store(name)
		stores[name] = s
		return s, err
	}
	iamStore, err := store("iam")
	if err != nil {
		return nil, err
	}
	stsStore, err := store("sts")
	if err != nil {
		return nil, err
	}
	iamSvc := iam.New(iamStore)
	stsSvc := sts.New(stsStore, iamRoles{iamSvc}, keyAccounts{static: static, iam: iamSvc})

	impls := []struct {
		spec api.Spec
		impl any
	}{
		{stsapi.Spec(), stsSvc},
		{iamapi.Spec(), iamSvc},
		{s3api.Spec(), notYet{}},
		{sqsapi.Spec(), notYet{}},
		{snsapi.Spec(), notYet{}},
		{dynamodbapi.Spec(), notYet{}},
		{dynamodbstreamsapi.Spec(), notYet{}},
		{lambdaapi.Spec(), notYet{}},
		{logsapi.Spec(), notYet{}},
		{eventsapi.Spec(), notYet{}},
		{ec2api.Spec(), notYet{}},
		{route53api.Spec(), notYet{}},
		{cloudwatchapi.Spec(), notYet{}},
		{kmsapi.Spec(), notYet{}},
		{cloudtrailapi.Spec(), notYet{}},
		{cloudformationapi.Spec(), notYet{}},
		{ssmapi.Spec(), notYet{}},
	}
	b := &built{sts: stsSvc, iamKeys: iamCredentials{iamSvc}}
	for _, x := range impls {
		codec, err := cs.For(x.spec.Metadata.Protocol)
		if err != nil {
			return nil, err
		}
		b.services = append(b.services, &gateway.Service{Spec: x.spec, Codec: codec, Impl: x.impl})
	}
	return b, nil
}
