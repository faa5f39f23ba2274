package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/instances"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
	"github.com/niwa-cloud/niwa/internal/service/logs"
	"github.com/niwa-cloud/niwa/internal/service/ssm"
)

// wireSSM wires Systems Manager: Parameter Store (SecureString values go
// through the KMS seam as the caller, the public AMI parameters resolve
// to EC2's image catalog, policy actions and changes are events on the
// bus) and Run Command, which reaches EC2's instances and the instance
// runtime through ssmInstances. The other Systems Manager operations
// answer NotImplemented naming themselves.
func wireSSM(d *deps) (*wiring, error) {
	store, err := d.store("ssm")
	if err != nil {
		return nil, err
	}
	opts := ssm.Options{Keys: d.dataKeysOf(), Images: ssmImages{ec2: d.ec2}, Bus: d.bus, Log: d.log}
	if d.ec2 != nil && d.instances != nil {
		logStore, err := d.store("logs")
		if err != nil {
			return nil, err
		}
		opts.Instances = &ssmInstances{d: d, ec2: d.ec2, rt: d.instances, access: lambdaRoleAccess(d),
			logs: logs.New(logStore, d.clock, d.bus), objects: d.objectStore()}
	}
	svc := ssm.New(store, d.clock, opts)
	return &wiring{Declaration: svc.Declare()}, nil
}

// ssmImages is EC2's image catalog as Parameter Store reads it.
type ssmImages struct{ ec2 *ec2.EC2 }

func (i ssmImages) Public(region string) []ssm.Image {
	cat := images.Catalog(region)
	out := make([]ssm.Image, 0, len(cat))
	for _, im := range cat {
		created, _ := time.Parse(time.RFC3339, im.Created)
		out = append(out, ssm.Image{ID: im.ID, Name: im.Name, Created: created})
	}
	return out
}

// Exists asks EC2 whether the caller's account sees the image (public or
// its own).
func (i ssmImages) Exists(ctx *request.Context, id string) (bool, error) {
	if i.ec2 == nil {
		return true, nil
	}
	out, err := i.ec2.DescribeImages(ctx, &ec2api.DescribeImagesRequest{ImageIds: []string{id}})
	if err != nil {
		if e := awserr.As(err); e.Code.Code == "InvalidAMIID.NotFound" || e.Code.Code == "InvalidAMIID.Malformed" {
			return false, nil
		}
		return false, err
	}
	return len(out.Images) > 0, nil
}

// ssmInstances is EC2 and the instance runtime as Run Command sees
// them. An instance is managed when its instance profile's role allows
// ssm:UpdateInstanceInformation (what the SSM Agent needs to register);
// the agent's S3 and CloudWatch Logs writes are authorized as that role,
// with the same engine as a request the role signs.
type ssmInstances struct {
	d       *deps
	ec2     *ec2.EC2
	rt      *instances.Runtime
	access  lambda.RoleAccess
	logs    *logs.Logs
	objects objects.Store
}

func (s *ssmInstances) List(ctx context.Context, account, region string) ([]ssm.ManagedInstance, error) {
	all, err := s.ec2.RuntimeInstances(account, region)
	if err != nil {
		return nil, err
	}
	var out []ssm.ManagedInstance
	for _, v := range all {
		in := runtimeInstance(account, region, v)
		m := ssm.ManagedInstance{ID: in.ID, State: in.State, IP: in.PrivateIP, Hostname: in.PrivateDNS, Tags: in.Tags, LaunchTime: in.LaunchTime,
			Windows: ptr.Deref(v.Instance.Platform) == "windows"}
		if in.ProfileARN != "" && in.State != "terminated" {
			roleARN, roleName, ok, err := profileRole(ctx, s.d, account, region, in.ProfileARN)
			if err != nil {
				return nil, err
			}
			if ok {
				m.Role = roleName
				denied, err := s.allowed(ctx, account, region, roleARN, in.ID, "*", "ssm:UpdateInstanceInformation")
				if err != nil {
					return nil, err
				}
				m.Managed = denied == ""
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// allowed asks the policy engine about a session of the role (nil
// access: enforcement is off, everything is allowed).
func (s *ssmInstances) allowed(ctx context.Context, account, region, roleARN, session, resource string, actions ...string) (string, error) {
	if s.access == nil {
		return "", nil
	}
	return s.access(ctx, account, region, roleARN, session, resource, actions)
}

func (s *ssmInstances) Run(ctx context.Context, account, region, id string, c ssm.RunSpec) (ssm.RunResult, error) {
	res, err := s.rt.Run(ctx, account, region, id, instances.Command{ID: c.CommandID, Plugin: c.Plugin, Script: c.Script, Dir: c.Dir})
	if errors.Is(err, instances.ErrNotRunning) {
		return ssm.RunResult{}, ssm.ErrNotRunning
	}
	if err != nil {
		return ssm.RunResult{}, err
	}
	return ssm.RunResult{ExitCode: res.ExitCode, Stdout: res.Stdout, Stderr: res.Stderr, Killed: res.Killed}, nil
}

// role is the instance's role and the ARN of its session.
func (s *ssmInstances) role(ctx context.Context, account, region, id string) (roleARN, sessionARN string, err error) {
	v, ok, err := s.ec2.RuntimeInstance(account, region, id)
	if err != nil || !ok {
		return "", "", fmt.Errorf("instance %s: %v", id, err)
	}
	in := runtimeInstance(account, region, v)
	roleARN, roleName, ok, err := profileRole(ctx, s.d, account, region, in.ProfileARN)
	if err != nil {
		return "", "", err
	}
	if !ok {
		return "", "", fmt.Errorf("instance %s has no role", id)
	}
	return roleARN, "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + id, nil
}

func (s *ssmInstances) PutOutput(ctx context.Context, account, region, id, bucket, key string, body []byte) error {
	if s.objects == nil {
		return errors.New("S3 is not wired")
	}
	roleARN, session, err := s.role(ctx, account, region, id)
	if err != nil {
		return err
	}
	denied, err := s.allowed(ctx, account, region, roleARN, id, "arn:aws:s3:::"+bucket+"/"+key, "s3:PutObject")
	if err != nil {
		return err
	}
	if denied != "" {
		return fmt.Errorf("%s is not authorized to perform %s on %s/%s", session, denied, bucket, key)
	}
	return s.objects.PutServiceObject(ctx, bucket, key, body, objects.Principal{CallerARN: session, CallerAccount: account, Region: region})
}

func (s *ssmInstances) PutLogs(ctx context.Context, account, region, id, group, stream string, at time.Time, lines []string) error {
	roleARN, session, err := s.role(ctx, account, region, id)
	if err != nil {
		return err
	}
	res := "arn:aws:logs:" + region + ":" + account + ":log-group:" + group + ":log-stream:" + stream
	denied, err := s.allowed(ctx, account, region, roleARN, id, res, "logs:CreateLogStream", "logs:PutLogEvents")
	if err != nil {
		return err
	}
	if denied != "" {
		return fmt.Errorf("%s is not authorized to perform %s on %s", session, denied, res)
	}
	evs := make([]logs.LogEvent, len(lines))
	for i, l := range lines {
		evs[i] = logs.LogEvent{Time: at, Message: l}
	}
	return s.logs.AppendLogEvents(account, region, group, stream, evs)
}
