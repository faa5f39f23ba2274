// Package ssm is AWS Systems Manager Parameter Store: String, StringList
// and SecureString parameters (SecureString values encrypted at rest
// under a KMS key with a data key, decrypted only for a caller KMS lets),
// hierarchies and GetParametersByPath, versions (100 kept) and labels,
// tiers and their limits, parameter policies on the injected clock
// (Expiration deletes, the notifications are EventBridge events), tags,
// and the public parameters AWS publishes under /aws/service/ (the latest
// Amazon Linux AMIs, resolving to niwa's built-in images, and the global
// infrastructure catalog). Every other Systems Manager operation answers
// NotImplemented naming itself.
//
// Parameter Store reaches KMS and EC2's image catalog only through the
// interfaces in Options, which the wiring implements: it never imports
// another service.
package ssm

import (
	"log/slog"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Image is one public AMI of a region, as the image catalog knows it.
type Image struct {
	ID, Name string
	Created  time.Time
}

// Images is EC2's image catalog as Parameter Store needs it: the public
// images behind /aws/service/ami-*-latest parameters, and whether an image
// id exists for the aws:ec2:image data type.
type Images interface {
	Public(region string) []Image
	Exists(ctx *request.Context, id string) (bool, error)
}

// Publisher is the part of the event bus Parameter Store uses.
type Publisher interface {
	Publish(e events.Event)
}

// Options are Parameter Store's collaborators; any may be nil (no KMS:
// SecureString parameters are refused; no images: no AMI parameters and
// aws:ec2:image values are checked only for their form; no bus: no
// events).
type Options struct {
	// Keys is KMS through the platform seam, acting as the caller of
	// each request (its kms:GenerateDataKey and kms:Decrypt permissions
	// on the parameter's key decide).
	Keys   kms.DataKeys
	Images Images
	Bus    Publisher
	Log    *slog.Logger
	// Instances is EC2 and the instance runtime, for Run Command and
	// managed instances (nil: no instance is managed).
	Instances Instances
}

// SSM implements the Parameter Store operations. Bind it with ssmapi.Bind.
type SSM struct {
	store storage.Store
	clock clock.Clock
	opts  Options

	// policy timer: one timer, armed for the earliest due policy action
	// across every account and region (the due table is the schedule).
	pmu     sync.Mutex
	ptimer  clock.Timer
	pnext   time.Time
	pgen    uint64
	stopped bool

	// Run Command's invocations in progress, by account/region/command/
	// instance, and the goroutines running them.
	rmu      sync.Mutex
	running  map[string]*running
	rstopped bool
	rwg      sync.WaitGroup
}

// New returns Parameter Store and arms the timer of the stored policies
// (so policies survive a restart with --data-dir).
func New(store storage.Store, clk clock.Clock, opts Options) *SSM {
	if clk == nil {
		clk = clock.Real{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &SSM{store: store, clock: clk, opts: opts}
	s.armPolicies()
	if err := s.endInterrupted(); err != nil {
		opts.Log.Warn("ssm: ending interrupted commands", "err", err)
	}
	return s
}

// Close stops the policy timer.
func (s *SSM) Close() error {
	s.pmu.Lock()
	s.stopped = true
	if s.ptimer != nil {
		s.ptimer.Stop()
	}
	s.pmu.Unlock()
	s.rmu.Lock()
	s.rstopped = true
	for _, r := range s.running {
		r.cancel()
	}
	s.rmu.Unlock()
	s.rwg.Wait()
	return nil
}

// Reset forgets the armed timer after POST /_niwa/reset dropped the
// stored schedule (kit.Declaration.Reset).
func (s *SSM) Reset() error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if s.ptimer != nil {
		s.ptimer.Stop()
		s.ptimer = nil
	}
	s.pnext = time.Time{}
	s.rmu.Lock()
	for _, r := range s.running {
		r.cancel()
	}
	s.rmu.Unlock()
	return nil
}

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// arn is a parameter's ARN: the name without its leading slash after
// "parameter/".
func arn(sc storage.Scope, name string) string {
	return "arn:aws:ssm:" + sc.Region + ":" + sc.Account + ":parameter/" + trimSlash(name)
}

func trimSlash(name string) string {
	if len(name) > 0 && name[0] == '/' {
		return name[1:]
	}
	return name
}
