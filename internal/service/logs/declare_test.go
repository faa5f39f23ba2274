package logs

import (
	"errors"
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: log calls are checked on the group (":*", which
// covers its streams) or the stream named.
func TestResourceARNs(t *testing.T) {
	const group = "arn:aws:logs:us-east-1:123456789012:log-group:g"
	kittest.Resources(t, kit.Authz{Resources: resources}, "logs", []kittest.Case{
		{Op: "CreateLogGroup", In: &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To("g")}, Resource: group + ":*"},
		{Op: "PutLogEvents", In: &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("g"), LogStreamName: ptr.To("s")}, Resource: group + ":log-stream:s"},
		{Op: "GetLogEvents", In: &logsapi.GetLogEventsRequest{LogGroupIdentifier: ptr.To(group), LogStreamName: ptr.To("s")}, Resource: group},
		{Op: "DescribeLogGroups", In: &logsapi.DescribeLogGroupsRequest{}, Resource: "*"},
	})
}

// TestConstraintWording: Logs' classic operations answer constraint
// violations as InvalidParameterException; its delivery operations,
// which declare ValidationException, as that.
func TestConstraintWording(t *testing.T) {
	m, err := logsapi.Spec().Model()
	if err != nil {
		t.Fatal(err)
	}
	vs := []model.Violation{{Path: "logGroupName", Message: "Member must not be null"}}
	for op, want := range map[string]string{"CreateLogGroup": "InvalidParameterException", "DescribeLogGroups": "InvalidParameterException", "GetDelivery": "ValidationException"} {
		err := (&Logs{}).Declare().Validation.Error(m.Operations[op], vs)
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code.Code != want || ae.Code.Status != 400 ||
			ae.Message != "1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null" {
			t.Errorf("%s: %v, want %s with the model's summary", op, err, want)
		}
	}
}
