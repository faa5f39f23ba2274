package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/instances"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
	"github.com/niwa-cloud/niwa/internal/service/sts"
)

// IdentityCertPath serves the certificate that verifies instance
// identity document signatures.
const IdentityCertPath = "/_niwa/ec2/instance-identity.pem"

// wireInstances makes the instance runtime EC2 runs instances with:
// their directories under <data dir>/instances (or a private temporary
// directory), their metadata read from EC2, their role credentials
// minted by STS for the role of the instance profile (IAM), placed in
// the instance's subnet so that VPC endpoints apply to their calls.
// The egress component (nil until the network layer is wired) adds
// its variables to every process.
func wireInstances(d *deps, svc *ec2.EC2) (*instances.Runtime, func(), error) {
	dir, cleanup, err := instancesWorkDir(d.cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	rt, err := instances.New(instances.Config{
		WorkDir:     dir,
		Clock:       d.clock,
		Log:         d.log,
		Source:      ec2Instances{svc},
		Credentials: instanceCredentials(d),
		Endpoint:    d.endpoint,
	})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return rt, cleanup, nil
}

func instancesWorkDir(dataDir string) (string, func(), error) {
	if dataDir != "" {
		dir := filepath.Join(dataDir, "instances")
		return dir, func() {}, os.MkdirAll(dir, 0o755)
	}
	dir, err := os.MkdirTemp("", "niwa-instances-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

// identityCertRoute serves the identity document certificate.
func identityCertRoute(rt *instances.Runtime) kit.Route {
	return kit.Route{
		Name:  "ec2-instance-identity",
		Match: func(r *http.Request) bool { return r.URL.Path == IdentityCertPath },
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pemBytes, err := rt.IdentityCertificatePEM()
			if err != nil {
				http.Error(w, "instance identity key: "+err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(pemBytes)
		}),
	}
}

// ec2Instances is EC2 as the runtime reads it.
type ec2Instances struct{ ec2 *ec2.EC2 }

func (e ec2Instances) Instance(account, region, id string) (instances.Instance, bool, error) {
	v, ok, err := e.ec2.RuntimeInstance(account, region, id)
	if err != nil || !ok {
		return instances.Instance{}, ok, err
	}
	return runtimeInstance(account, region, v), true, nil
}

// runtimeInstance converts EC2's view of an instance.
func runtimeInstance(account, region string, v ec2.RuntimeInstance) instances.Instance {
	o := v.Instance
	in := instances.Instance{
		Account: account, Region: region, ID: ptr.Deref(o.InstanceId), ImageID: ptr.Deref(o.ImageId),
		InstanceType: ptr.Deref(o.InstanceType), Architecture: ptr.Deref(o.Architecture),
		LaunchIndex: int(ptr.Deref(o.AmiLaunchIndex)), LaunchTime: ptr.Deref(o.LaunchTime), KeyName: ptr.Deref(o.KeyName),
		VpcID: ptr.Deref(o.VpcId), SubnetID: ptr.Deref(o.SubnetId), VpcCIDR: v.VpcCIDR, SubnetCIDR: v.SubnetCIDR,
		PrivateIP: ptr.Deref(o.PrivateIpAddress), PublicIP: ptr.Deref(o.PublicIpAddress),
		PrivateDNS: ptr.Deref(o.PrivateDnsName), PublicDNS: ptr.Deref(o.PublicDnsName),
		UserData: v.UserData, AZID: v.AZID, HopLimit: v.HopLimit, Tags: map[string]string{},
	}
	if o := o.PrivateDnsNameOptions; o != nil {
		in.ResourceNameA = ptr.Deref(o.EnableResourceNameDnsARecord)
	}
	if o.State != nil {
		in.State = ptr.Deref(o.State.Name)
	}
	if o.Placement != nil {
		in.AZ = ptr.Deref(o.Placement.AvailabilityZone)
	}
	for _, ni := range o.NetworkInterfaces {
		if ni.Attachment == nil || ptr.Deref(ni.Attachment.DeviceIndex) == 0 {
			in.MAC, in.ENI = ptr.Deref(ni.MacAddress), ptr.Deref(ni.NetworkInterfaceId)
			break
		}
	}
	for _, g := range o.SecurityGroups {
		in.SecurityGroups = append(in.SecurityGroups, instances.Group{ID: ptr.Deref(g.GroupId), Name: ptr.Deref(g.GroupName)})
	}
	if o.IamInstanceProfile != nil {
		in.ProfileARN, in.ProfileID = ptr.Deref(o.IamInstanceProfile.Arn), ptr.Deref(o.IamInstanceProfile.Id)
	}
	in.HTTPTokens, in.HTTPEndpoint = "optional", "enabled"
	if m := o.MetadataOptions; m != nil {
		in.HTTPTokens = ptr.Deref(m.HttpTokens)
		in.HTTPEndpoint = ptr.Deref(m.HttpEndpoint)
		in.MetadataTags = ptr.Deref(m.InstanceMetadataTags) == "enabled"
	}
	for _, t := range o.Tags {
		in.Tags[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
	}
	return in
}

// instanceCredentials mints the credentials IMDS hands an instance: a
// session of its instance profile's role named after the instance, as
// EC2 names it (arn:aws:sts::<account>:assumed-role/<role>/<instance-id>).
func instanceCredentials(d *deps) instances.RoleCredentials {
	return func(ctx context.Context, in instances.Instance, life time.Duration) (instances.Credentials, bool, error) {
		if d.iam == nil || d.sts == nil || in.ProfileARN == "" {
			return instances.Credentials{}, false, nil
		}
		roleARN, roleName, ok, err := profileRole(ctx, d, in.Account, in.Region, in.ProfileARN)
		if err != nil || !ok {
			return instances.Credentials{}, ok, err
		}
		// EC2 assumes the role as ec2.amazonaws.com: a role whose trust
		// policy does not let it gets no credentials, and IMDS says why.
		if role, found, err := d.iam.svc.RoleByARN(roleARN); err != nil {
			return instances.Credentials{}, false, err
		} else if found {
			p, err := iam.Parse(role.TrustPolicy)
			trusted := false
			if err == nil {
				trusted, _ = iam.ResourceAllows(p, iam.Request{Principal: iam.Principal{Service: "ec2.amazonaws.com"}, Action: "sts:AssumeRole", Resource: roleARN})
			}
			if !trusted {
				return instances.Credentials{RoleName: roleName, Code: "AssumeRoleUnauthorizedAccess",
					Message: "EC2 cannot assume the role " + roleName + ".  Please see documentation at https://docs.aws.amazon.com/IAM/latest/UserGuide/RolesTroubleshooting.html#troubleshoot_iam-ec2_errors-info-doc."}, true, nil
			}
		}
		var pos *sts.NetworkPosition
		if in.VpcID != "" {
			pos = &sts.NetworkPosition{Region: in.Region, VpcID: in.VpcID, SubnetIDs: []string{in.SubnetID}}
		}
		c, err := d.sts.svc.IssuePlacedRoleCredentials(d.clock.Now(), in.Account, roleARN, in.ID, life, pos)
		if err != nil {
			return instances.Credentials{}, false, err
		}
		return instances.Credentials{RoleName: roleName, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey,
			SessionToken: c.SessionToken, Expiration: c.Expiration}, true, nil
	}
}

// profileRole is the role in an instance profile (by its ARN); ok is
// false when the profile is gone or holds no role.
func profileRole(ctx context.Context, d *deps, account, region, profileARN string) (roleARN, roleName string, ok bool, err error) {
	name := profileARN[strings.LastIndexByte(profileARN, '/')+1:]
	rc := &request.Context{Context: ctx, Account: account, Region: region, Clock: d.clock, Log: d.log}
	out, err := d.iam.svc.GetInstanceProfile(rc, &iamapi.GetInstanceProfileInput{InstanceProfileName: ptr.To(name)})
	if err != nil {
		if awserr.As(err).Code.Code == "NoSuchEntity" {
			return "", "", false, nil
		}
		return "", "", false, fmt.Errorf("instance profile %s: %w", profileARN, err)
	}
	if out.InstanceProfile == nil || len(out.InstanceProfile.Roles) == 0 {
		return "", "", false, nil
	}
	r := out.InstanceProfile.Roles[0]
	return ptr.Deref(r.Arn), ptr.Deref(r.RoleName), true, nil
}
