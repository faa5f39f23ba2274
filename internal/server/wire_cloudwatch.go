package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
)

// wireCloudWatch wires CloudWatch. It answers every protocol its current
// clients send — query (the v1 model's), JSON (botocore's choice) and
// smithy-rpc-v2-cbor — from the model's protocols list patched in
// internal/codegen; the service never knows which carried a request.
// Alarm actions go out through the bus (SNS, Lambda, EC2), and state
// changes are published as EventBridge events.
func wireCloudWatch(d *deps) (*wiring, error) {
	store, err := d.store("cloudwatch")
	if err != nil {
		return nil, err
	}
	svc := cloudwatch.New(store, d.clock, d.bus, d.log)
	// The AWS/ metrics other services publish (Lambda's Invocations, ...)
	// arrive through the bus.
	d.bus.HandleMetrics(svc.RecordMetrics)
	if d.ec2 != nil {
		h := ec2AlarmActions(d.ec2, d.clock)
		d.bus.Handle("automate", h)
		d.bus.Handle("swf", h)
	}
	return &wiring{Declaration: svc.Declare()}, nil
}

// ec2AlarmActions runs alarms' EC2 actions
// (arn:aws:automate:<region>:ec2:stop|terminate|reboot|recover and the swf
// form) on EC2's instances: the bus carries them here from CloudWatch,
// which imports no other service.
func ec2AlarmActions(svc *ec2.EC2, clk clock.Clock) events.Handler {
	return events.HandlerFunc(func(ctx context.Context, m events.Message) error {
		var a cloudwatch.EC2Action
		if err := json.Unmarshal([]byte(m.Body), &a); err != nil {
			return fmt.Errorf("ec2 alarm action: %w", err)
		}
		parts := strings.SplitN(m.TargetARN, ":", 5)
		if len(parts) < 5 || m.SourceAccount == "" {
			return fmt.Errorf("ec2 alarm action: bad target %s", m.TargetARN)
		}
		rc := &request.Context{Context: ctx, RequestID: awsid.UUID(), Service: "ec2", Account: m.SourceAccount, Region: parts[3], Clock: clk,
			Caller: request.Caller{Account: m.SourceAccount, ARN: "arn:aws:iam::" + m.SourceAccount + ":root", UserID: m.SourceAccount}}
		ids := []string{a.InstanceID}
		var err error
		switch a.Action {
		case "stop":
			rc.Operation = "StopInstances"
			_, err = svc.StopInstances(rc, &ec2api.StopInstancesRequest{InstanceIds: ids})
		case "terminate":
			rc.Operation = "TerminateInstances"
			_, err = svc.TerminateInstances(rc, &ec2api.TerminateInstancesRequest{InstanceIds: ids})
		case "reboot", "recover":
			// Recovery moves an instance to new hardware: a reboot is
			// what an instance sees of it.
			rc.Operation = "RebootInstances"
			_, err = svc.RebootInstances(rc, &ec2api.RebootInstancesRequest{InstanceIds: ids})
		default:
			err = fmt.Errorf("unknown EC2 action %q", a.Action)
		}
		return err
	})
}
