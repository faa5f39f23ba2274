// Package instances runs EC2 instances: a running instance has a working
// directory under niwa's state, its own instance metadata service (IMDS)
// and its processes — user data at first boot, cloud-config's bootcmd at
// every boot, SSM commands — run as local process groups that carry the
// instance's identity (the IMDS endpoint, niwa's endpoint, the region)
// and, when the network component is wired, its network position.
//
// The runtime knows nothing of EC2's API: it reads the instance it runs
// through Source (what EC2 stores, looked up on every use so metadata
// options and profile changes apply at once) and mints role credentials
// through Credentials. EC2 tells it when an instance boots, stops and
// terminates.
//
// # Layout of an instance's directory
//
//	<work>/<account>/<region>/<instance-id>/
//	  console.log                      what the instance printed (get-console-output)
//	  running                          present while the instance runs (resume after a restart)
//	  var/lib/cloud/instance/          user data, the scripts made of it, the first-boot marker
//	  rootfs/                          where cloud-config write_files puts absolute paths
//	  var/lib/amazon/ssm/<command-id>/ SSM commands' scripts and output
package instances

import (
	"context"
	"log/slog"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// Instance is what the runtime needs to know about an instance; Source
// gives it, fresh on every use.
type Instance struct {
	Account, Region, ID string
	State               string // pending, running, stopping, ...
	ImageID             string
	InstanceType        string
	Architecture        string
	AZ, AZID            string
	ReservationID       string
	LaunchIndex         int
	LaunchTime          time.Time
	KeyName             string
	// Network: the primary interface.
	VpcID, SubnetID, ENI string
	VpcCIDR, SubnetCIDR  string
	PrivateIP, PublicIP  string
	PrivateDNS           string
	PublicDNS            string
	// ResourceNameA: the VPC's resolver answers the resource name
	// (i-0123....ec2.internal) with A records
	// (EnableResourceNameDnsARecord).
	ResourceNameA  bool
	MAC            string
	SecurityGroups []Group
	// ProfileARN and ProfileID name the IAM instance profile ("" without).
	ProfileARN, ProfileID string
	// UserData is the decoded user data (nil without).
	UserData []byte
	// Metadata options: HttpTokens ("optional" or "required"),
	// HttpEndpoint ("enabled" or "disabled"), the PUT hop limit, and
	// whether instance tags are in the metadata.
	HTTPTokens   string
	HTTPEndpoint string
	HopLimit     int
	MetadataTags bool
	Tags         map[string]string
}

// Group is a security group of the instance.
type Group struct{ ID, Name string }

// Position is where an instance's processes sit in the network, for the
// egress component.
type Position struct {
	Account, Region string
	VpcID, SubnetID string
	SecurityGroups  []string
	PrivateIP       string
	PublicIP        string
}

// Position is the instance's network position.
func (in Instance) Position() Position {
	p := Position{Account: in.Account, Region: in.Region, VpcID: in.VpcID, SubnetID: in.SubnetID, PrivateIP: in.PrivateIP, PublicIP: in.PublicIP}
	for _, g := range in.SecurityGroups {
		p.SecurityGroups = append(p.SecurityGroups, g.ID)
	}
	return p
}

// Source reads an instance as EC2 stores it; ok is false when it does
// not exist.
type Source interface {
	Instance(account, region, id string) (Instance, bool, error)
}

// Credentials are temporary credentials of the instance profile's role,
// or (Code set) why there are none: "AssumeRoleUnauthorizedAccess" when
// the role does not trust ec2.amazonaws.com, with EC2's Message.
type Credentials struct {
	RoleName        string
	Code, Message   string
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// RoleCredentials mints credentials of the role of in's instance profile
// (session name: the instance id, as EC2 names it) valid for d; ok is
// false when the profile has no role (IMDS then has no
// iam/security-credentials).
type RoleCredentials func(ctx context.Context, in Instance, d time.Duration) (Credentials, bool, error)

// Egress is the network component's part in an instance's processes:
// the environment (proxy variables, say) that makes their outbound
// connections leave the way the instance's route tables decide. nil
// means none.
type Egress interface {
	Env(ctx context.Context, p Position) ([]string, error)
}

// Releaser is an Egress that assigns an instance something while it
// runs (the host address that stands for its private IP, through which
// its listeners are reached): Release frees it when the instance stops
// or terminates.
type Releaser interface {
	Release(p Position) error
}

// Config is what the runtime is made of.
type Config struct {
	// WorkDir holds the instances' directories (and the identity
	// document key). It survives restarts when niwa's state does.
	WorkDir     string
	Clock       clock.Clock
	Log         *slog.Logger
	Source      Source
	Credentials RoleCredentials
	// Endpoint is niwa's own base URL, which the processes' SDKs call.
	Endpoint func() string
	// Egress is the network component (nil: none).
	Egress Egress
	// CredentialLifetime is how long IMDS role credentials last (default
	// 6h, as EC2's); they are renewed when less than a fifth of it is
	// left.
	CredentialLifetime time.Duration
}
