package ssm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Run Command: a command is stored with one invocation per target
// instance; each invocation runs the document's steps on its instance
// (through Instances, which the wiring implements with the instance
// runtime) one after the other, and its statuses, output and timing are
// stored as they change. The execution timeout runs on the injected
// clock and kills the step's process group; TimeoutSeconds (delivery)
// ends an invocation whose instance does not run.

// Instances is what Run Command needs of EC2 and the instance runtime.
type Instances interface {
	// List is the region's instances as Systems Manager sees them.
	List(ctx context.Context, account, region string) ([]ManagedInstance, error)
	// Run runs a script on a running instance until it ends or ctx is
	// done; ErrNotRunning when the instance does not run.
	Run(ctx context.Context, account, region, id string, c RunSpec) (RunResult, error)
	// PutOutput writes a command's output to S3 as the instance's role
	// (the SSM Agent uploads with the instance profile's credentials).
	PutOutput(ctx context.Context, account, region, id, bucket, key string, body []byte) error
	// PutLogs sends a command's output to CloudWatch Logs as the
	// instance's role.
	PutLogs(ctx context.Context, account, region, id, group, stream string, at time.Time, lines []string) error
}

// ErrNotRunning is Instances.Run's answer for an instance that does not
// run.
var ErrNotRunning = errors.New("ssm: instance not running")

// ManagedInstance is an instance as Systems Manager sees it.
type ManagedInstance struct {
	ID, State    string
	IP, Hostname string
	// Role is the name of the instance profile's role ("" without one);
	// Managed reports that it allows ssm:UpdateInstanceInformation (the
	// agent registers only then).
	Role       string
	Managed    bool
	Tags       map[string]string
	LaunchTime time.Time
	// Windows is set for Windows instances (their platform, from the
	// AMI): niwa cannot run their commands.
	Windows bool
}

// RunSpec is one step to run.
type RunSpec struct {
	CommandID, Plugin, Script, Dir string
}

// RunResult is how a step ended.
type RunResult struct {
	ExitCode       int
	Stdout, Stderr string
	Killed         bool
}

// Output limits of the API (SSM keeps the first characters).
const (
	invocationOutputLimit = 24000
	pluginOutputLimit     = 2500
	maxCommandTargets     = 50
)

type commandRecord struct {
	ID, DocumentName, DocumentVersion, Comment string
	Parameters                                 map[string][]string
	InstanceIds                                []string
	Targets                                    []ssmapi.Target
	Requested, Expires                         time.Time
	Status, StatusDetails                      string
	S3Region, S3Bucket, S3Prefix               string
	MaxConcurrency, MaxErrors                  string
	TimeoutSeconds                             int32
	ServiceRole                                string
	CWGroup                                    string
	CWEnabled                                  bool
	Notification                               *ssmapi.NotificationConfig
	Resolved                                   []string
}

type invocationRecord struct {
	CommandID, InstanceID, InstanceName string
	Status, StatusDetails               string
	Requested                           time.Time
	Plugins                             []pluginRecord
}

type pluginRecord struct {
	Name, Status, StatusDetails string
	Code                        int32
	Start, End                  time.Time
	Stdout, Stderr              string
	StdoutURL, StderrURL        string
}

var (
	commands    = storage.NewTable[commandRecord]("command")
	invocations = storage.NewTable[invocationRecord]("invocation")
	// inFlight indexes the invocations that run, keyed (account, region,
	// command, instance) in the empty scope, so that New finds those a
	// stopped niwa left unfinished.
	inFlight = storage.NewTable[struct{}]("invocation-in-flight")
)

// endInterrupted ends the invocations that were running when niwa last
// stopped: their processes are gone, so they fail, as a command does on
// AWS when its instance's agent restarts mid-run.
func (s *SSM) endInterrupted() error {
	type item struct {
		sc        storage.Scope
		cmd, inst string
	}
	var items []item
	err := s.store.View(func(tx storage.Tx) error {
		return inFlight.List(tx, storage.Scope{}, nil, storage.ListOptions{}, func(k []string, _ struct{}) bool {
			if len(k) == 4 {
				items = append(items, item{storage.Scope{Account: k[0], Region: k[1]}, k[2], k[3]})
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	now := s.clock.Now().UTC()
	for _, it := range items {
		s.setInvocation(it.sc, it.cmd, it.inst, func(inv *invocationRecord) {
			for i := range inv.Plugins {
				p := &inv.Plugins[i]
				if p.Status == "Pending" || p.Status == "InProgress" || p.Status == "Delayed" {
					p.Status, p.StatusDetails, p.End = "Failed", "Failed", now
					p.Stderr += "niwa stopped while the command ran\n"
				}
			}
			inv.Status, inv.StatusDetails = "Failed", "Failed"
		})
		s.settle(it.sc, it.cmd)
		if err := s.store.Update(func(tx storage.Tx) error {
			return inFlight.Delete(tx, storage.Scope{}, it.sc.Account, it.sc.Region, it.cmd, it.inst)
		}); err != nil {
			return err
		}
	}
	return nil
}

// step is one plugin of a document, its parameters substituted.
type step struct {
	plugin  string // aws:runShellScript, or the 2.x step's name
	action  string
	script  string
	dir     string
	timeout time.Duration
}

var paramRef = lazyre.New(`\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}`)

// resolveParams applies a document's defaults and checks the given
// parameters against its declarations.
func resolveParams(doc docContent, given map[string][]string) (map[string][]string, error) {
	out := map[string][]string{}
	for k, v := range given {
		if _, ok := doc.Parameters[k]; !ok {
			return nil, ssmapi.ErrInvalidParameters.New("Parameter \"%s\" is not in the document.", k)
		}
		out[k] = v
	}
	for k, p := range doc.Parameters {
		if _, ok := out[k]; ok {
			continue
		}
		if p.Default == nil {
			return nil, ssmapi.ErrInvalidParameters.New("Some parameters are missing or not valid. Parameter \"%s\" is required.", k)
		}
		switch d := p.Default.(type) {
		case []any:
			for _, x := range d {
				out[k] = append(out[k], fmt.Sprint(x))
			}
		default:
			out[k] = []string{defaultString(d)}
		}
	}
	for k, p := range doc.Parameters {
		if len(p.AllowedValues) == 0 {
			continue
		}
		for _, v := range out[k] {
			ok := false
			for _, a := range p.AllowedValues {
				ok = ok || a == v
			}
			if !ok {
				return nil, ssmapi.ErrInvalidParameters.New("Parameter \"%s\" has a value that is not allowed.", k)
			}
		}
	}
	return out, nil
}

// expand substitutes {{ name }} in a document value: a string that is
// one reference to a list parameter becomes the list.
func expand(v any, params map[string][]string) []string {
	switch x := v.(type) {
	case string:
		if m := paramRef.FindStringSubmatch(strings.TrimSpace(x)); m != nil && m[0] == strings.TrimSpace(x) {
			if vals, ok := params[m[1]]; ok {
				return vals
			}
		}
		return []string{paramRef.ReplaceAllStringFunc(x, func(ref string) string {
			m := paramRef.FindStringSubmatch(ref)
			if vals, ok := params[m[1]]; ok {
				return strings.Join(vals, "\n")
			}
			return ref
		})}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, expand(e, params)...)
		}
		return out
	case nil:
		return nil
	}
	return []string{fmt.Sprint(v)}
}

func first(v any, params map[string][]string) string {
	s := expand(v, params)
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, "\n")
}

// steps reads a document's plugins.
func steps(doc docContent, params map[string][]string) []step {
	var out []step
	mk := func(plugin, action string, in map[string]any) step {
		st := step{plugin: plugin, action: action, timeout: time.Hour}
		st.script = strings.Join(expand(in["runCommand"], params), "\n")
		st.dir = first(in["workingDirectory"], params)
		t := first(in["timeoutSeconds"], params)
		if n, err := strconv.Atoi(t); err == nil && n > 0 {
			st.timeout = time.Duration(n) * time.Second
		}
		return st
	}
	actions := make([]string, 0, len(doc.RuntimeConfig))
	for a := range doc.RuntimeConfig {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, a := range actions {
		for _, p := range doc.RuntimeConfig[a].Properties {
			out = append(out, mk(a, a, p))
		}
	}
	for _, m := range doc.MainSteps {
		out = append(out, mk(m.Name, m.Action, m.Inputs))
	}
	return out
}

// SendCommand runs a document on instances (by id, or by Targets).
func (s *SSM) SendCommand(ctx *request.Context, in *ssmapi.SendCommandRequest) (*ssmapi.SendCommandResult, error) {
	if s.opts.Instances == nil {
		return nil, ssmapi.ErrInvalidInstanceId.New("Instances %v not in a valid state for account %s", in.InstanceIds, ctx.Account)
	}
	if len(in.InstanceIds) == 0 && len(in.Targets) == 0 {
		return nil, ssmapi.ErrInvalidParameters.New("Either InstanceIds or Targets must be specified.")
	}
	if len(in.InstanceIds) > 0 && len(in.Targets) > 0 {
		return nil, ssmapi.ErrInvalidParameters.New("InstanceIds and Targets can't both be specified.")
	}
	sc := scope(ctx)
	name := ptr.Deref(in.DocumentName)
	var doc docContent
	var version string
	err := s.store.View(func(tx storage.Tx) error {
		d, ok, err := s.document(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return docMissing(name)
		}
		if d.DocumentType != "Command" {
			return ssmapi.ErrInvalidDocument.New("Document type %s is not supported. Only Command documents can be sent.", d.DocumentType)
		}
		v, err := d.pick(ptr.Deref(in.DocumentVersion), "")
		if err != nil {
			return err
		}
		version = strconv.Itoa(v.Version)
		if ptr.Deref(in.DocumentVersion) == "" {
			version = "$DEFAULT"
		}
		doc, err = parseDocument(v.Content)
		return err
	})
	if err != nil {
		return nil, err
	}
	params, err := resolveParams(doc, in.Parameters)
	if err != nil {
		return nil, err
	}
	all, err := s.opts.Instances.List(ctx, ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	managed := map[string]ManagedInstance{}
	for _, m := range all {
		if m.Managed && m.State != "terminated" && m.State != "shutting-down" {
			managed[m.ID] = m
		}
	}
	var targets []string
	if len(in.InstanceIds) > 0 {
		seen := map[string]bool{}
		var bad []string
		for _, id := range in.InstanceIds {
			if seen[id] {
				return nil, ssmapi.ErrDuplicateInstanceId.New("Instance %s is specified more than once.", id)
			}
			seen[id] = true
			if _, ok := managed[id]; !ok {
				bad = append(bad, id)
			}
			targets = append(targets, id)
		}
		if len(bad) > 0 {
			return nil, ssmapi.ErrInvalidInstanceId.New("Instances [[%s]] not in a valid state for account %s", strings.Join(bad, ", "), ctx.Account)
		}
	} else {
		targets, err = resolveTargets(in.Targets, managed)
		if err != nil {
			return nil, err
		}
	}
	if len(targets) > maxCommandTargets && len(in.InstanceIds) > 0 {
		return nil, ssmapi.ErrInvalidParameters.New("The number of instance IDs exceeds the maximum of %d.", maxCommandTargets)
	}
	if b := ptr.Deref(in.OutputS3BucketName); b != "" && strings.ContainsAny(b, "/ ") {
		return nil, ssmapi.ErrInvalidOutputFolder.New("The S3 bucket name %s is not valid.", b)
	}
	now := ctx.Now().UTC()
	timeout := ptr.Deref(in.TimeoutSeconds)
	if timeout == 0 {
		timeout = 3600
	}
	cmd := commandRecord{
		ID: awsid.UUID(), DocumentName: name, DocumentVersion: version, Comment: ptr.Deref(in.Comment), Parameters: in.Parameters,
		InstanceIds: in.InstanceIds, Targets: in.Targets, Requested: now, Status: "Pending", StatusDetails: "Pending",
		S3Region: orDefault(ptr.Deref(in.OutputS3Region), ctx.Region), S3Bucket: ptr.Deref(in.OutputS3BucketName), S3Prefix: ptr.Deref(in.OutputS3KeyPrefix),
		MaxConcurrency: orDefault(ptr.Deref(in.MaxConcurrency), "50"), MaxErrors: orDefault(ptr.Deref(in.MaxErrors), "0"),
		TimeoutSeconds: timeout, ServiceRole: ptr.Deref(in.ServiceRoleArn), Notification: in.NotificationConfig, Resolved: targets,
	}
	if c := in.CloudWatchOutputConfig; c != nil && ptr.Deref(c.CloudWatchOutputEnabled) {
		cmd.CWEnabled = true
		cmd.CWGroup = orDefault(ptr.Deref(c.CloudWatchLogGroupName), "/aws/ssm/"+name)
	}
	st := steps(doc, params)
	longest := time.Duration(0)
	for _, x := range st {
		longest = max(longest, x.timeout)
	}
	cmd.Expires = now.Add(time.Duration(timeout)*time.Second + longest)
	if len(targets) == 0 {
		cmd.Status, cmd.StatusDetails = "Success", "Success"
	}
	err = s.store.Update(func(tx storage.Tx) error {
		if err := commands.Put(tx, sc, cmd, cmd.ID); err != nil {
			return err
		}
		for _, id := range targets {
			if err := inFlight.Put(tx, storage.Scope{}, struct{}{}, sc.Account, sc.Region, cmd.ID, id); err != nil {
				return err
			}
			inv := invocationRecord{CommandID: cmd.ID, InstanceID: id, InstanceName: managed[id].Hostname, Status: "Pending", StatusDetails: "Pending", Requested: now}
			for _, x := range st {
				inv.Plugins = append(inv.Plugins, pluginRecord{Name: x.plugin, Status: "Pending", StatusDetails: "Pending", Code: -1})
			}
			if err := invocations.Put(tx, sc, inv, cmd.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range targets {
		s.dispatch(sc, cmd, id, st, managed[id].Windows)
	}
	return &ssmapi.SendCommandResult{Command: commandOut(cmd, len(targets), 0, 0)}, nil
}

// resolveTargets picks the managed instances Targets name: InstanceIds,
// tag:<key> (values), tag-key (keys).
func resolveTargets(ts []ssmapi.Target, managed map[string]ManagedInstance) ([]string, error) {
	var out []string
	ids := make([]string, 0, len(managed))
	for id := range managed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := managed[id]
		ok := true
		for _, t := range ts {
			k := ptr.Deref(t.Key)
			hit := false
			switch {
			case k == "InstanceIds":
				for _, v := range t.Values {
					hit = hit || v == id
				}
			case strings.HasPrefix(k, "tag:"):
				if tv, has := m.Tags[k[4:]]; has {
					for _, v := range t.Values {
						hit = hit || v == tv
					}
				}
			case k == "tag-key":
				for _, v := range t.Values {
					_, has := m.Tags[v]
					hit = hit || has
				}
			default:
				return nil, ssmapi.ErrInvalidTarget.New("Target key %s is not supported.", k)
			}
			ok = ok && hit
		}
		if ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// running is an invocation whose steps run.
type running struct {
	cancel    context.CancelFunc
	cancelled bool
}

func runKey(sc storage.Scope, cmd, inst string) string {
	return sc.Account + "/" + sc.Region + "/" + cmd + "/" + inst
}

// dispatch starts an invocation in the background.
func (s *SSM) dispatch(sc storage.Scope, cmd commandRecord, inst string, st []step, windows bool) {
	ctx, cancel := context.WithCancel(context.Background())
	k := runKey(sc, cmd.ID, inst)
	s.rmu.Lock()
	if s.rstopped {
		s.rmu.Unlock()
		cancel()
		return
	}
	if s.running == nil {
		s.running = map[string]*running{}
	}
	s.running[k] = &running{cancel: cancel}
	s.rwg.Add(1)
	s.rmu.Unlock()
	go func() {
		defer s.rwg.Done()
		defer func() {
			s.rmu.Lock()
			delete(s.running, k)
			s.rmu.Unlock()
			cancel()
		}()
		s.execute(ctx, sc, cmd, inst, st, windows)
	}()
}

func (s *SSM) wasCancelled(sc storage.Scope, cmd, inst string) bool {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	r, ok := s.running[runKey(sc, cmd, inst)]
	return ok && r.cancelled
}

// execute runs an invocation's steps and stores each change.
func (s *SSM) execute(ctx context.Context, sc storage.Scope, cmd commandRecord, inst string, st []step, windows bool) {
	s.setInvocation(sc, cmd.ID, inst, func(inv *invocationRecord) {
		inv.Status, inv.StatusDetails = "InProgress", "InProgress"
	})
	for i, x := range st {
		if ctx.Err() != nil {
			break
		}
		start := s.clock.Now().UTC()
		s.setInvocation(sc, cmd.ID, inst, func(inv *invocationRecord) {
			inv.Plugins[i].Status, inv.Plugins[i].StatusDetails, inv.Plugins[i].Start = "InProgress", "InProgress", start
		})
		res, status, details := s.runStep(ctx, sc, cmd, inst, x, windows)
		if s.closing() {
			// niwa is stopping and killed the step: the invocation stays
			// in flight, and the next start ends it (endInterrupted).
			return
		}
		end := s.clock.Now().UTC()
		p := pluginRecord{Name: x.plugin, Status: status, StatusDetails: details, Code: int32(res.ExitCode), Start: start, End: end,
			Stdout: truncate(res.Stdout, invocationOutputLimit), Stderr: truncate(res.Stderr, invocationOutputLimit)}
		if status == "Cancelled" || (status == "TimedOut" && details == "DeliveryTimedOut") {
			p.Code = -1
		}
		s.output(sc, cmd, inst, x, &p)
		s.setInvocation(sc, cmd.ID, inst, func(inv *invocationRecord) { inv.Plugins[i] = p })
	}
	s.setInvocation(sc, cmd.ID, inst, func(inv *invocationRecord) {
		status, details := "Success", "Success"
		for i := range inv.Plugins {
			p := &inv.Plugins[i]
			switch {
			case p.Status == "Pending" || p.Status == "InProgress":
				p.Status, p.StatusDetails = "Cancelled", "Cancelled"
				status, details = "Cancelled", "Cancelled"
			case p.Status == "Cancelled":
				status, details = "Cancelled", "Cancelled"
			case p.Status == "TimedOut" && status != "Cancelled":
				status, details = "TimedOut", p.StatusDetails
			case p.Status == "Failed" && status == "Success":
				status, details = "Failed", "Failed"
			}
		}
		inv.Status, inv.StatusDetails = status, details
	})
	s.settle(sc, cmd.ID)
	if err := s.store.Update(func(tx storage.Tx) error {
		return inFlight.Delete(tx, storage.Scope{}, sc.Account, sc.Region, cmd.ID, inst)
	}); err != nil {
		s.opts.Log.Warn("ssm: storing an invocation", "command", cmd.ID, "instance", inst, "err", err)
	}
}

func (s *SSM) closing() bool {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.rstopped
}

// runStep runs one step; the status and details it ends with.
func (s *SSM) runStep(ctx context.Context, sc storage.Scope, cmd commandRecord, inst string, x step, windows bool) (RunResult, string, string) {
	unsupported := RunResult{ExitCode: 1, Stdout: "Step execution skipped due to unsupported platform. Step name: " + strings.TrimPrefix(x.plugin, "aws:")}
	switch x.action {
	case "aws:runShellScript":
		if windows {
			return unsupported, "Failed", "Failed"
		}
	case "aws:runPowerShellScript":
		if windows {
			return RunResult{ExitCode: 1, Stderr: "niwa runs no Windows: PowerShell commands cannot run on this instance"}, "Failed", "Failed"
		}
		// A Linux instance: PowerShell documents do not apply.
		return unsupported, "Failed", "Failed"
	default:
		return RunResult{ExitCode: 1, Stderr: fmt.Sprintf("niwa runs aws:runShellScript steps only; %s is not supported", x.action)}, "Failed", "Failed"
	}
	var timedOut sync.Once
	expired := false
	stepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := s.clock.AfterFunc(x.timeout, func() {
		timedOut.Do(func() {
			s.rmu.Lock()
			expired = true
			s.rmu.Unlock()
			cancel()
		})
	})
	defer t.Stop()
	spec := RunSpec{CommandID: cmd.ID, Plugin: strings.ReplaceAll(x.plugin, ":", ""), Script: x.script, Dir: x.dir}
	res, err := s.opts.Instances.Run(stepCtx, sc.Account, sc.Region, inst, spec)
	if errors.Is(err, ErrNotRunning) {
		return s.awaitDelivery(ctx, sc, cmd, inst, spec, x)
	}
	if err != nil {
		return RunResult{ExitCode: 1, Stderr: err.Error()}, "Failed", "Failed"
	}
	s.rmu.Lock()
	exp := expired
	s.rmu.Unlock()
	switch {
	case s.wasCancelled(sc, cmd.ID, inst):
		return res, "Cancelled", "Cancelled"
	case exp:
		res.ExitCode = -1
		return res, "TimedOut", "ExecutionTimedOut"
	case res.Killed:
		return res, "Cancelled", "Cancelled"
	case res.ExitCode != 0:
		return res, "Failed", "Failed"
	}
	return res, "Success", "Success"
}

// awaitDelivery is an invocation whose instance does not run: it ends
// TimedOut (DeliveryTimedOut) when TimeoutSeconds pass on the clock,
// unless it is cancelled first.
func (s *SSM) awaitDelivery(ctx context.Context, sc storage.Scope, cmd commandRecord, inst string, spec RunSpec, x step) (RunResult, string, string) {
	due := cmd.Requested.Add(time.Duration(cmd.TimeoutSeconds) * time.Second)
	wait := due.Sub(s.clock.Now())
	if wait < 0 {
		wait = 0
	}
	done := make(chan struct{})
	t := s.clock.AfterFunc(wait, func() { close(done) })
	defer t.Stop()
	// The agent is not there: SSM keeps retrying (Delayed) until the
	// delivery timeout.
	s.setInvocation(sc, cmd.ID, inst, func(inv *invocationRecord) {
		inv.Status, inv.StatusDetails = "Delayed", "Delayed"
		for i := range inv.Plugins {
			if inv.Plugins[i].Status == "InProgress" {
				inv.Plugins[i].Status, inv.Plugins[i].StatusDetails = "Delayed", "Delayed"
			}
		}
	})
	select {
	case <-done:
		return RunResult{ExitCode: -1}, "TimedOut", "DeliveryTimedOut"
	case <-ctx.Done():
		return RunResult{ExitCode: -1}, "Cancelled", "Cancelled"
	}
}

// output sends a step's output where the command says: S3
// (<prefix>/<command>/<instance>/awsrunShellScript/<plugin>/stdout) and
// CloudWatch Logs (<group>, stream <command>/<instance>/<plugin>/stdout).
func (s *SSM) output(sc storage.Scope, cmd commandRecord, inst string, x step, p *pluginRecord) {
	plugin := strings.ReplaceAll(x.plugin, ":", "")
	if cmd.S3Bucket != "" {
		base := strings.Trim(strings.Join([]string{strings.Trim(cmd.S3Prefix, "/"), cmd.ID, inst, "awsrunShellScript", "0." + plugin}, "/"), "/")
		if x.action != "aws:runShellScript" || !strings.HasPrefix(x.plugin, "aws:") {
			base = strings.Trim(strings.Join([]string{strings.Trim(cmd.S3Prefix, "/"), cmd.ID, inst, plugin}, "/"), "/")
		}
		url := "https://s3." + cmd.S3Region + ".amazonaws.com/" + cmd.S3Bucket + "/" + base
		for _, o := range []struct{ name, body string }{{"stdout", p.Stdout}, {"stderr", p.Stderr}} {
			if o.body == "" {
				continue
			}
			if err := s.opts.Instances.PutOutput(context.Background(), sc.Account, sc.Region, inst, cmd.S3Bucket, base+"/"+o.name, []byte(o.body)); err != nil {
				s.opts.Log.Warn("ssm: command output to S3", "command", cmd.ID, "instance", inst, "err", err)
				continue
			}
			if o.name == "stdout" {
				p.StdoutURL = url + "/stdout"
			} else {
				p.StderrURL = url + "/stderr"
			}
		}
	}
	if cmd.CWEnabled {
		for _, o := range []struct{ name, body string }{{"stdout", p.Stdout}, {"stderr", p.Stderr}} {
			if o.body == "" {
				continue
			}
			lines := strings.Split(strings.TrimRight(o.body, "\n"), "\n")
			stream := cmd.ID + "/" + inst + "/" + plugin + "/" + o.name
			if err := s.opts.Instances.PutLogs(context.Background(), sc.Account, sc.Region, inst, cmd.CWGroup, stream, p.End, lines); err != nil {
				s.opts.Log.Warn("ssm: command output to CloudWatch Logs", "command", cmd.ID, "instance", inst, "err", err)
			}
		}
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// setInvocation changes a stored invocation.
func (s *SSM) setInvocation(sc storage.Scope, cmd, inst string, fn func(*invocationRecord)) {
	err := s.store.Update(func(tx storage.Tx) error {
		inv, ok, err := invocations.Get(tx, sc, cmd, inst)
		if err != nil || !ok {
			return err
		}
		fn(&inv)
		return invocations.Put(tx, sc, inv, cmd, inst)
	})
	if err != nil {
		s.opts.Log.Warn("ssm: storing an invocation", "command", cmd, "instance", inst, "err", err)
	}
}

// settle sets a command's status from its invocations'.
func (s *SSM) settle(sc storage.Scope, id string) {
	err := s.store.Update(func(tx storage.Tx) error {
		c, ok, err := commands.Get(tx, sc, id)
		if err != nil || !ok {
			return err
		}
		invs, err := commandInvocations(tx, sc, id)
		if err != nil {
			return err
		}
		c.Status, c.StatusDetails = aggregate(invs)
		return commands.Put(tx, sc, c, id)
	})
	if err != nil {
		s.opts.Log.Warn("ssm: storing a command", "command", id, "err", err)
	}
}

// aggregate is a command's status from its invocations': InProgress
// while any runs; then Cancelled, TimedOut, Failed (the worst wins) or
// Success.
func aggregate(invs []invocationRecord) (string, string) {
	if len(invs) == 0 {
		return "Success", "Success"
	}
	pending, busy := 0, 0
	worst := "Success"
	rank := map[string]int{"Success": 0, "Failed": 1, "TimedOut": 2, "Cancelled": 3}
	for _, inv := range invs {
		switch inv.Status {
		case "Pending", "Delayed":
			pending++
		case "InProgress", "Cancelling":
			busy++
		default:
			if rank[inv.Status] > rank[worst] {
				worst = inv.Status
			}
		}
	}
	switch {
	case busy > 0 || (pending > 0 && pending < len(invs)):
		return "InProgress", "InProgress"
	case pending == len(invs):
		return "Pending", "Pending"
	}
	if worst == "TimedOut" {
		return "TimedOut", "Delivery Timed Out"
	}
	return worst, worst
}

func commandInvocations(tx storage.Tx, sc storage.Scope, id string) ([]invocationRecord, error) {
	var out []invocationRecord
	err := invocations.List(tx, sc, []string{id}, storage.ListOptions{}, func(_ []string, v invocationRecord) bool {
		out = append(out, v)
		return true
	})
	return out, err
}

func commandOut(c commandRecord, targets, completed, errs int) *ssmapi.Command {
	o := &ssmapi.Command{
		CommandId: ptr.To(c.ID), DocumentName: ptr.To(c.DocumentName), DocumentVersion: ptr.To(c.DocumentVersion), Comment: ptr.To(c.Comment),
		ExpiresAfter: ptr.To(c.Expires), Parameters: c.Parameters, InstanceIds: c.InstanceIds, Targets: c.Targets, RequestedDateTime: ptr.To(c.Requested),
		Status: ptr.To(c.Status), StatusDetails: ptr.To(c.StatusDetails), OutputS3Region: ptr.To(c.S3Region), OutputS3BucketName: ptr.To(c.S3Bucket),
		OutputS3KeyPrefix: ptr.To(c.S3Prefix), MaxConcurrency: ptr.To(c.MaxConcurrency), MaxErrors: ptr.To(c.MaxErrors), TargetCount: ptr.To(int32(targets)),
		CompletedCount: ptr.To(int32(completed)), ErrorCount: ptr.To(int32(errs)), DeliveryTimedOutCount: ptr.To(int32(0)), TimeoutSeconds: ptr.To(c.TimeoutSeconds),
		CloudWatchOutputConfig: &ssmapi.CloudWatchOutputConfig{CloudWatchLogGroupName: ptr.To(c.CWGroup), CloudWatchOutputEnabled: ptr.To(c.CWEnabled)},
		NotificationConfig:     c.Notification,
	}
	if o.Parameters == nil {
		o.Parameters = map[string][]string{}
	}
	if o.InstanceIds == nil {
		o.InstanceIds = []string{}
	}
	if o.Targets == nil {
		o.Targets = []ssmapi.Target{}
	}
	if c.ServiceRole != "" {
		o.ServiceRole = ptr.To(c.ServiceRole)
	}
	if o.NotificationConfig == nil {
		o.NotificationConfig = &ssmapi.NotificationConfig{NotificationArn: ptr.To(""), NotificationEvents: []string{}, NotificationType: ptr.To("")}
	}
	return o
}

// invocationCounts are a command's target, completed and error counts.
func invocationCounts(invs []invocationRecord) (int, int, int, int) {
	done, errs, timedOut := 0, 0, 0
	for _, inv := range invs {
		switch inv.Status {
		case "Success", "Failed", "TimedOut", "Cancelled":
			done++
		}
		switch inv.Status {
		case "Failed", "TimedOut":
			errs++
		}
		if inv.StatusDetails == "DeliveryTimedOut" {
			timedOut++
		}
	}
	return len(invs), done, errs, timedOut
}

// eachCommand visits the command id names (every command of the scope
// when id is "") with its invocations; an unknown id is
// InvalidCommandId, as ListCommands and ListCommandInvocations answer.
func eachCommand(tx storage.Tx, sc storage.Scope, id string, visit func(commandRecord, []invocationRecord)) error {
	var cs []commandRecord
	if id != "" {
		c, ok, err := commands.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok {
			return ssmapi.ErrInvalidCommandId.New("")
		}
		cs = append(cs, c)
	} else if err := commands.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, c commandRecord) bool {
		cs = append(cs, c)
		return true
	}); err != nil {
		return err
	}
	for _, c := range cs {
		invs, err := commandInvocations(tx, sc, c.ID)
		if err != nil {
			return err
		}
		visit(c, invs)
	}
	return nil
}

// ListCommands lists commands, newest first.
func (s *SSM) ListCommands(ctx *request.Context, in *ssmapi.ListCommandsRequest) (*ssmapi.ListCommandsResult, error) {
	f, err := commandFilters(in.Filters)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	type item struct {
		c    commandRecord
		invs []invocationRecord
	}
	var all []item
	err = s.store.View(func(tx storage.Tx) error {
		return eachCommand(tx, sc, ptr.Deref(in.CommandId), func(c commandRecord, invs []invocationRecord) {
			if id := ptr.Deref(in.InstanceId); id != "" {
				hit := false
				for _, inv := range invs {
					hit = hit || inv.InstanceID == id
				}
				if !hit {
					return
				}
			}
			if f.match(c.Requested, c.Status, c.DocumentName) {
				all = append(all, item{c, invs})
			}
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].c.Requested.Equal(all[j].c.Requested) {
			return all[i].c.Requested.After(all[j].c.Requested)
		}
		return all[i].c.ID < all[j].c.ID
	})
	start, max, err := pageArgs(in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &ssmapi.ListCommandsResult{Commands: []ssmapi.Command{}}
	for i := start; i < len(all); i++ {
		if len(out.Commands) == max {
			out.NextToken = ptr.To(encodeToken(strconv.Itoa(i)))
			break
		}
		t, done, errs, dto := invocationCounts(all[i].invs)
		c := commandOut(all[i].c, t, done, errs)
		c.DeliveryTimedOutCount = ptr.To(int32(dto))
		out.Commands = append(out.Commands, *c)
	}
	return out, nil
}

func pageArgs(token *string, maxResults *int32) (int, int, error) {
	max := int(ptr.Deref(maxResults))
	if max == 0 {
		max = 50
	}
	start := 0
	if t := ptr.Deref(token); t != "" {
		k, err := decodeToken(t)
		if err != nil {
			return 0, 0, err
		}
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 {
			return 0, 0, ssmapi.ErrInvalidNextToken.New("The specified token isn't valid.")
		}
		start = n
	}
	return start, max, nil
}

// cmdFilter is ListCommands' and ListCommandInvocations' filters.
type cmdFilter struct {
	after, before time.Time
	status, doc   string
}

func commandFilters(in []ssmapi.CommandFilter) (cmdFilter, error) {
	var f cmdFilter
	for _, x := range in {
		v := ptr.Deref(x.Value)
		switch ptr.Deref(x.Key) {
		case "InvokedAfter", "InvokedBefore":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, ssmapi.ErrInvalidFilterValue.New("The filter value %s is not valid.", v)
			}
			if ptr.Deref(x.Key) == "InvokedAfter" {
				f.after = t
			} else {
				f.before = t
			}
		case "Status":
			f.status = v
		case "DocumentName":
			f.doc = v
		case "ExecutionStage":
		default:
			return f, ssmapi.ErrInvalidFilterKey.New("The filter key %s is not valid.", ptr.Deref(x.Key))
		}
	}
	return f, nil
}

func (f cmdFilter) match(at time.Time, status, doc string) bool {
	return (f.after.IsZero() || !at.Before(f.after)) && (f.before.IsZero() || !at.After(f.before)) &&
		(f.status == "" || f.status == status) && (f.doc == "" || f.doc == doc)
}

// ListCommandInvocations lists invocations, with their plugins' output
// when Details is set.
func (s *SSM) ListCommandInvocations(ctx *request.Context, in *ssmapi.ListCommandInvocationsRequest) (*ssmapi.ListCommandInvocationsResult, error) {
	f, err := commandFilters(in.Filters)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	type item struct {
		c   commandRecord
		inv invocationRecord
	}
	var all []item
	err = s.store.View(func(tx storage.Tx) error {
		return eachCommand(tx, sc, ptr.Deref(in.CommandId), func(c commandRecord, invs []invocationRecord) {
			for _, inv := range invs {
				if id := ptr.Deref(in.InstanceId); id != "" && inv.InstanceID != id {
					continue
				}
				if f.match(inv.Requested, inv.Status, c.DocumentName) {
					all = append(all, item{c, inv})
				}
			}
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].inv.Requested.Equal(all[j].inv.Requested) {
			return all[i].inv.Requested.After(all[j].inv.Requested)
		}
		return all[i].inv.InstanceID < all[j].inv.InstanceID
	})
	start, max, err := pageArgs(in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &ssmapi.ListCommandInvocationsResult{CommandInvocations: []ssmapi.CommandInvocation{}}
	for i := start; i < len(all); i++ {
		if len(out.CommandInvocations) == max {
			out.NextToken = ptr.To(encodeToken(strconv.Itoa(i)))
			break
		}
		c, inv := all[i].c, all[i].inv
		o := ssmapi.CommandInvocation{
			CommandId: ptr.To(c.ID), InstanceId: ptr.To(inv.InstanceID), InstanceName: ptr.To(inv.InstanceName), Comment: ptr.To(c.Comment),
			DocumentName: ptr.To(c.DocumentName), DocumentVersion: ptr.To(c.DocumentVersion), RequestedDateTime: ptr.To(inv.Requested),
			Status: ptr.To(inv.Status), StatusDetails: ptr.To(inv.StatusDetails), TraceOutput: ptr.To(""), StandardOutputUrl: ptr.To(""), StandardErrorUrl: ptr.To(""),
			CommandPlugins: []ssmapi.CommandPlugin{}, ServiceRole: ptr.To(c.ServiceRole), NotificationConfig: commandOut(c, 0, 0, 0).NotificationConfig,
			CloudWatchOutputConfig: &ssmapi.CloudWatchOutputConfig{CloudWatchLogGroupName: ptr.To(c.CWGroup), CloudWatchOutputEnabled: ptr.To(c.CWEnabled)},
		}
		if len(inv.Plugins) > 0 {
			o.StandardOutputUrl, o.StandardErrorUrl = ptr.To(inv.Plugins[0].StdoutURL), ptr.To(inv.Plugins[0].StderrURL)
		}
		if ptr.Deref(in.Details) {
			for _, p := range inv.Plugins {
				cp := ssmapi.CommandPlugin{Name: ptr.To(p.Name), Status: ptr.To(p.Status), StatusDetails: ptr.To(p.StatusDetails), ResponseCode: ptr.To(p.Code),
					Output: ptr.To(truncate(pluginOutput(p), pluginOutputLimit)), StandardOutputUrl: ptr.To(p.StdoutURL), StandardErrorUrl: ptr.To(p.StderrURL),
					OutputS3Region: ptr.To(c.S3Region), OutputS3BucketName: ptr.To(c.S3Bucket), OutputS3KeyPrefix: ptr.To(c.S3Prefix)}
				if !p.Start.IsZero() {
					cp.ResponseStartDateTime = ptr.To(p.Start)
				}
				if !p.End.IsZero() {
					cp.ResponseFinishDateTime = ptr.To(p.End)
				}
				o.CommandPlugins = append(o.CommandPlugins, cp)
			}
		}
		out.CommandInvocations = append(out.CommandInvocations, o)
	}
	return out, nil
}

// pluginOutput is a plugin's Output as ListCommandInvocations shows it:
// stdout, then stderr under the agent's header.
func pluginOutput(p pluginRecord) string {
	out := p.Stdout
	if p.Stderr != "" {
		out += "\n----------ERROR-------\n" + p.Stderr
	}
	return out
}

// GetCommandInvocation returns one plugin's result on one instance.
func (s *SSM) GetCommandInvocation(ctx *request.Context, in *ssmapi.GetCommandInvocationRequest) (*ssmapi.GetCommandInvocationResult, error) {
	sc := scope(ctx)
	var c commandRecord
	var inv invocationRecord
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		c, ok, err = commands.Get(tx, sc, ptr.Deref(in.CommandId))
		if err != nil {
			return err
		}
		if !ok {
			return ssmapi.ErrInvalidCommandId.New("")
		}
		inv, ok, err = invocations.Get(tx, sc, c.ID, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if !ok {
			return ssmapi.ErrInvocationDoesNotExist.New("")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var p *pluginRecord
	if name := ptr.Deref(in.PluginName); name != "" {
		for i := range inv.Plugins {
			if inv.Plugins[i].Name == name {
				p = &inv.Plugins[i]
			}
		}
		if p == nil {
			return nil, ssmapi.ErrInvalidPluginName.New("")
		}
	} else if len(inv.Plugins) == 1 {
		p = &inv.Plugins[0]
	} else if len(inv.Plugins) > 1 {
		return nil, ssmapi.ErrInvalidPluginName.New("")
	}
	out := &ssmapi.GetCommandInvocationResult{
		CommandId: ptr.To(c.ID), InstanceId: ptr.To(inv.InstanceID), Comment: ptr.To(c.Comment), DocumentName: ptr.To(c.DocumentName),
		DocumentVersion: ptr.To(c.DocumentVersion), Status: ptr.To(inv.Status), StatusDetails: ptr.To(inv.StatusDetails),
		ResponseCode: ptr.To(int32(-1)), ExecutionStartDateTime: ptr.To(""), ExecutionElapsedTime: ptr.To(""), ExecutionEndDateTime: ptr.To(""),
		StandardOutputContent: ptr.To(""), StandardOutputUrl: ptr.To(""), StandardErrorContent: ptr.To(""), StandardErrorUrl: ptr.To(""),
		CloudWatchOutputConfig: &ssmapi.CloudWatchOutputConfig{CloudWatchLogGroupName: ptr.To(c.CWGroup), CloudWatchOutputEnabled: ptr.To(c.CWEnabled)},
	}
	if p != nil {
		out.PluginName = ptr.To(p.Name)
		out.Status, out.StatusDetails = ptr.To(p.Status), ptr.To(p.StatusDetails)
		if p.Status != "Pending" && p.Status != "InProgress" && p.Status != "Delayed" && inv.Status != "InProgress" {
			out.Status, out.StatusDetails = ptr.To(inv.Status), ptr.To(inv.StatusDetails)
		}
		out.ResponseCode = ptr.To(p.Code)
		out.StandardOutputContent, out.StandardErrorContent = ptr.To(p.Stdout), ptr.To(p.Stderr)
		out.StandardOutputUrl, out.StandardErrorUrl = ptr.To(p.StdoutURL), ptr.To(p.StderrURL)
		if !p.Start.IsZero() {
			out.ExecutionStartDateTime = ptr.To(p.Start.Format("2006-01-02T15:04:05.000Z"))
		}
		if !p.End.IsZero() {
			out.ExecutionEndDateTime = ptr.To(p.End.Format("2006-01-02T15:04:05.000Z"))
			out.ExecutionElapsedTime = ptr.To(fmt.Sprintf("PT%.3fS", p.End.Sub(p.Start).Seconds()))
		}
	}
	return out, nil
}

// CancelCommand stops a command's invocations that have not ended (on
// the instances named, or all).
func (s *SSM) CancelCommand(ctx *request.Context, in *ssmapi.CancelCommandRequest) (*ssmapi.CancelCommandResult, error) {
	sc := scope(ctx)
	id := ptr.Deref(in.CommandId)
	var invs []invocationRecord
	err := s.store.View(func(tx storage.Tx) error {
		_, ok, err := commands.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok {
			return ssmapi.ErrInvalidCommandId.New("")
		}
		invs, err = commandInvocations(tx, sc, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, i := range in.InstanceIds {
		only[i] = true
	}
	for _, inv := range invs {
		if len(only) > 0 && !only[inv.InstanceID] {
			continue
		}
		s.rmu.Lock()
		r, ok := s.running[runKey(sc, id, inv.InstanceID)]
		if ok {
			r.cancelled = true
			r.cancel()
		}
		s.rmu.Unlock()
	}
	return &ssmapi.CancelCommandResult{}, nil
}

// DescribeInstanceInformation lists the managed instances: those whose
// instance profile role lets the agent register
// (ssm:UpdateInstanceInformation). Running ones are Online, stopped
// ones ConnectionLost.
func (s *SSM) DescribeInstanceInformation(ctx *request.Context, in *ssmapi.DescribeInstanceInformationRequest) (*ssmapi.DescribeInstanceInformationResult, error) {
	if len(in.Filters) > 0 && len(in.InstanceInformationFilterList) > 0 {
		return nil, ssmapi.ErrInvalidFilter.New("Filters and InstanceInformationFilterList can't be used together.")
	}
	type flt struct {
		key  string
		vals []string
	}
	var fs []flt
	for _, f := range in.InstanceInformationFilterList {
		fs = append(fs, flt{ptr.Deref(f.Key), f.ValueSet})
	}
	for _, f := range in.Filters {
		fs = append(fs, flt{ptr.Deref(f.Key), f.Values})
	}
	for _, f := range fs {
		switch {
		case f.key == "InstanceIds", f.key == "PingStatus", f.key == "PlatformTypes", f.key == "ResourceType", f.key == "IamRole",
			f.key == "AgentVersion", f.key == "AssociationStatus", f.key == "ActivationIds", strings.HasPrefix(f.key, "tag:"), f.key == "tag-key":
		default:
			return nil, ssmapi.ErrInvalidInstanceInformationFilterValue.New("The filter key %s is not valid.", f.key)
		}
	}
	var list []ManagedInstance
	if s.opts.Instances != nil {
		var err error
		list, err = s.opts.Instances.List(ctx, ctx.Account, ctx.Region)
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	now := ctx.Now().UTC()
	var all []ssmapi.InstanceInformation
	for _, m := range list {
		if !m.Managed || m.State == "terminated" || m.State == "pending" {
			continue
		}
		ping := "Online"
		if m.State != "running" {
			ping = "ConnectionLost"
		}
		info := ssmapi.InstanceInformation{
			InstanceId: ptr.To(m.ID), PingStatus: ptr.To(ping), LastPingDateTime: ptr.To(now), AgentVersion: ptr.To(agentVersion),
			IsLatestVersion: ptr.To(false), PlatformType: ptr.To("Linux"), PlatformName: ptr.To("Amazon Linux"), PlatformVersion: ptr.To("2023"),
			ResourceType: ptr.To("EC2Instance"), IPAddress: ptr.To(m.IP), ComputerName: ptr.To(m.Hostname),
			AssociationStatus: ptr.To(""), SourceId: ptr.To(m.ID), SourceType: ptr.To("AWS::EC2::Instance"),
		}
		if m.Role != "" {
			info.IamRole = ptr.To(m.Role)
		}
		if m.Windows {
			info.PlatformType, info.PlatformName, info.PlatformVersion = ptr.To("Windows"), ptr.To("Microsoft Windows Server 2022 Datacenter"), ptr.To("10.0.20348")
		}
		ok := true
		for _, f := range fs {
			var have []string
			switch f.key {
			case "InstanceIds":
				have = []string{m.ID}
			case "PingStatus":
				have = []string{ping}
			case "PlatformTypes":
				have = []string{ptr.Deref(info.PlatformType)}
			case "ResourceType":
				have = []string{"EC2Instance"}
			case "IamRole":
				have = []string{m.Role}
			case "AgentVersion":
				have = []string{agentVersion}
			case "tag-key":
				for k := range m.Tags {
					have = append(have, k)
				}
			default:
				if strings.HasPrefix(f.key, "tag:") {
					if v, has := m.Tags[f.key[4:]]; has {
						have = []string{v}
					}
				}
			}
			hit := false
			for _, h := range have {
				for _, v := range f.vals {
					hit = hit || h == v
				}
			}
			ok = ok && hit
		}
		if ok {
			all = append(all, info)
		}
	}
	start, max, err := pageArgs(in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &ssmapi.DescribeInstanceInformationResult{InstanceInformationList: []ssmapi.InstanceInformation{}}
	for i := start; i < len(all); i++ {
		if len(out.InstanceInformationList) == max {
			out.NextToken = ptr.To(encodeToken(strconv.Itoa(i)))
			break
		}
		out.InstanceInformationList = append(out.InstanceInformationList, all[i])
	}
	return out, nil
}

// agentVersion is the SSM Agent version instances report.
const agentVersion = "3.3.987.0"
