package secretsmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events/schedule"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Rotation follows AWS's four-step protocol: the rotation function is
// invoked with Step createSecret (it puts the new value as AWSPENDING
// under the ClientRequestToken), setSecret, testSecret and finishSecret
// (it moves AWSCURRENT to the new version); Secrets Manager then takes
// AWSPENDING off. The steps run in the background, one at a time, each
// as a synchronous invocation; a failed step leaves AWSPENDING where it
// is, and the next RotateSecret answers that the previous rotation is
// not complete and reattempts it.
//
// Scheduled rotations fire on the injected clock at the start of their
// window (niwa does not pick a random moment inside Duration).

var rotationSteps = [...]string{"createSecret", "setSecret", "testSecret", "finishSecret"}

// RotateSecret configures rotation and, unless RotateImmediately is
// false, starts one now.
func (s *SecretsManager) RotateSecret(ctx *request.Context, in *smapi.RotateSecretInput) (*smapi.RotateSecretOutput, error) {
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	rules, err := parseRules(in.RotationRules)
	if err != nil {
		return nil, err
	}
	immediately := in.RotateImmediately == nil || *in.RotateImmediately
	token := deref(in.ClientRequestToken)
	if token == "" {
		token = awsid.UUID()
	}
	var fn string
	var retry bool
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		fn = sec.Rotation.LambdaARN
		if in.RotationLambdaARN != nil {
			fn = *in.RotationLambdaARN
		}
		if fn == "" {
			return invalidRequest("No Lambda rotation function ARN is associated with this secret.")
		}
		if p := sec.pending(); p >= 0 {
			// A rotation whose AWSPENDING version never became current:
			// AWS refuses and tries that one again.
			token, retry = sec.Versions[p].ID, true
			return nil
		}
		if s.rotating(sec) {
			return errIncomplete()
		}
		if sec.versionIndex(token) >= 0 {
			return smapi.ErrResourceExistsException.New("You can't modify an existing version, you can only create new versions.")
		}
		if err := s.allowed(ctx, fn, sec); err != nil {
			return err
		}
		sec.Rotation.LambdaARN = fn
		if rules != nil {
			sec.Rotation.Days, sec.Rotation.Expression, sec.Rotation.Duration = rules.Days, rules.Expression, rules.Duration
		}
		sec.Rotation.Enabled = sec.Rotation.Days != nil || sec.Rotation.Expression != ""
		sec.Rotation.Next = nil
		if sec.Rotation.Enabled {
			from := ctx.Now()
			if !immediately && sec.Rotation.LastRotated != nil {
				from = *sec.Rotation.LastRotated
			}
			sec.Rotation.Next = sec.Rotation.nextAfter(from)
		}
		sec.Changed = ctx.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if retry {
		s.startRotation(sec.scope(), sec.Name, token)
		return nil, errIncomplete()
	}
	if immediately {
		s.startRotation(sec.scope(), sec.Name, token)
	} else {
		token = ""
	}
	out := &smapi.RotateSecretOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}
	if token != "" {
		out.VersionId = &token
	}
	return out, nil
}

func errIncomplete() error {
	return invalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")
}

// pending is the version carrying AWSPENDING but not AWSCURRENT (a
// rotation under way or failed), or -1.
func (sec *secret) pending() int {
	i := sec.stageIndex(stagePending)
	if i < 0 || hasStage(sec.Versions[i], stageCurrent) {
		return -1
	}
	return i
}

// allowed checks, as AWS does when rotation is configured, that the
// rotation function exists and lets Secrets Manager invoke it.
func (s *SecretsManager) allowed(ctx *request.Context, fn string, sec *secret) error {
	if s.opt.Functions == nil {
		return awserr.NotImplemented.New("Rotation needs Lambda, which this niwa does not run.")
	}
	ok, err := s.opt.Functions.Allowed(ctx, fn, sec.arn(), sec.Account)
	if err != nil {
		var ae *awserr.Error
		if errors.As(err, &ae) {
			return invalidRequest("Secrets Manager can't find the specified Lambda function %s.", fn)
		}
		return err
	}
	if !ok {
		return awserr.AccessDeniedException.New("Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.")
	}
	return nil
}

// CancelRotateSecret turns automatic rotation off and abandons a
// rotation in progress (its version loses AWSPENDING).
func (s *SecretsManager) CancelRotateSecret(ctx *request.Context, in *smapi.CancelRotateSecretInput) (*smapi.CancelRotateSecretOutput, error) {
	var pendingID string
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		if p := sec.pending(); p >= 0 {
			pendingID = sec.Versions[p].ID
			removeStage(&sec.Versions[p], stagePending)
		}
		sec.Rotation.Enabled, sec.Rotation.Next = false, nil
		sec.Changed = ctx.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &smapi.CancelRotateSecretOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}
	if pendingID != "" {
		out.VersionId = &pendingID
	}
	return out, nil
}

// rules are validated RotationRules.
type rules struct {
	Days       *int64
	Expression string
	Duration   string
}

var (
	rateExpr     = lazyre.New(`^rate\((\d+) (hours|hour|days|day)\)$`)
	durationExpr = lazyre.New(`^(\d+)h$`)
)

func parseRules(in *smapi.RotationRulesType) (*rules, error) {
	if in == nil {
		return nil, nil
	}
	r := &rules{Days: in.AutomaticallyAfterDays, Expression: deref(in.ScheduleExpression), Duration: deref(in.Duration)}
	if r.Days != nil && r.Expression != "" {
		return nil, invalidParam("You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.")
	}
	if r.Days != nil && (*r.Days < 1 || *r.Days > 1000) {
		return nil, invalidParam("RotationRules.AutomaticallyAfterDays must be within 1-1000.")
	}
	window := 24 * time.Hour
	if r.Expression != "" {
		if m := rateExpr.FindStringSubmatch(r.Expression); m != nil {
			n, _ := strconv.Atoi(m[1])
			hours := strings.HasPrefix(m[2], "hour")
			// "You can rotate a secret as often as every four hours";
			// days as for AutomaticallyAfterDays.
			if (hours && (n < 4 || n > 23)) || (!hours && (n < 1 || n > 1000)) {
				return nil, invalidParam("The schedule expression %s is not valid: the rotation frequency must be between 4 hours and 1000 days.", r.Expression)
			}
			if hours {
				window = time.Hour
			}
		} else if !strings.HasPrefix(r.Expression, "cron(") {
			return nil, invalidParam("The schedule expression %s is not valid. Use a rate() or cron() expression.", r.Expression)
		} else if _, err := schedule.Parse(r.Expression, time.Time{}); err != nil {
			return nil, invalidParam("The schedule expression %s is not valid.", r.Expression)
		}
	}
	if r.Duration != "" {
		m := durationExpr.FindStringSubmatch(r.Duration)
		n := 0
		if m != nil {
			n, _ = strconv.Atoi(m[1])
		}
		if m == nil || n < 1 || time.Duration(n)*time.Hour > window {
			return nil, invalidParam("The rotation window Duration %s is not valid: it must be whole hours, at least 1h, and must not extend into the next rotation window or the next UTC day.", r.Duration)
		}
	}
	if r.Days == nil && r.Expression == "" && r.Duration != "" {
		return nil, invalidParam("You must specify AutomaticallyAfterDays or ScheduleExpression with Duration.")
	}
	return r, nil
}

// nextAfter is the start of the next rotation window after from:
// AutomaticallyAfterDays and rate() windows start at midnight UTC,
// counted from the day of from.
func (r rotation) nextAfter(from time.Time) *time.Time {
	var next time.Time
	switch {
	case r.Days != nil:
		next = day(from).AddDate(0, 0, int(*r.Days))
	case r.Expression != "":
		if m := rateExpr.FindStringSubmatch(r.Expression); m != nil {
			n, _ := strconv.Atoi(m[1])
			unit := 24 * time.Hour
			if strings.HasPrefix(m[2], "hour") {
				unit = time.Hour
			}
			next = day(from)
			for !next.After(from) {
				next = next.Add(time.Duration(n) * unit)
			}
		} else if sch, err := schedule.Parse(r.Expression, from); err == nil {
			next = sch.Next(from)
		}
	}
	if next.IsZero() {
		return nil
	}
	return &next
}

func (r rotation) rulesShape() *smapi.RotationRulesType {
	if r.Days == nil && r.Expression == "" {
		return nil
	}
	out := &smapi.RotationRulesType{AutomaticallyAfterDays: r.Days}
	if r.Expression != "" {
		out.ScheduleExpression = ptr.To(r.Expression)
	}
	if r.Duration != "" {
		out.Duration = ptr.To(r.Duration)
	}
	return out
}

// rotationKey names a secret in the timer and rotation maps.
func rotationKey(sc storage.Scope, name string) string {
	return sc.Account + "|" + sc.Region + "|" + name
}

// rotating reports a rotation running in the background.
func (s *SecretsManager) rotating(sec *secret) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight[rotationKey(sec.scope(), sec.Name)]
}

// startRotation runs the four steps in the background.
func (s *SecretsManager) startRotation(sc storage.Scope, name, token string) {
	key := rotationKey(sc, name)
	s.mu.Lock()
	if s.closed || s.inFlight[key] {
		s.mu.Unlock()
		return
	}
	s.inFlight[key] = true
	s.running.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.running.Done()
		defer func() {
			s.mu.Lock()
			delete(s.inFlight, key)
			s.mu.Unlock()
		}()
		if err := s.rotate(sc, name, token); err != nil {
			s.opt.Log.Warn("secretsmanager: rotation failed; AWSPENDING stays for the next attempt",
				"account", sc.Account, "region", sc.Region, "secret", name, "version", token, "error", err)
		}
	}()
}

// rotate invokes the rotation function for each step, then finishes the
// rotation in the record.
func (s *SecretsManager) rotate(sc storage.Scope, name, token string) error {
	ctx := &request.Context{Context: context.Background(), Account: sc.Account, Region: sc.Region, Clock: s.opt.Clock, Log: s.opt.Log}
	var fn, arn string
	if err := s.opt.Store.View(func(tx storage.Tx) error {
		sec, ok, err := secrets.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok || sec.Deleted != nil {
			return errNotFound()
		}
		fn, arn = sec.Rotation.LambdaARN, sec.arn()
		return nil
	}); err != nil {
		return err
	}
	if s.opt.Functions == nil {
		return fmt.Errorf("no Lambda to run %s", fn)
	}
	for _, step := range rotationSteps {
		payload, _ := json.Marshal(map[string]string{
			"Step": step, "SecretId": arn, "ClientRequestToken": token, "RotationToken": awsid.UUID(),
		})
		if err := s.opt.Functions.Invoke(ctx, fn, payload); err != nil {
			return fmt.Errorf("step %s: %w", step, err)
		}
	}
	_, err := s.update(ctx, &arn, false, func(tx storage.Tx, sec *secret) error {
		i := sec.versionIndex(token)
		if i < 0 || !hasStage(sec.Versions[i], stageCurrent) {
			return fmt.Errorf("finishSecret did not make version %s AWSCURRENT", token)
		}
		removeStage(&sec.Versions[i], stagePending)
		now := ctx.Now()
		sec.Rotation.LastRotated = &now
		if sec.Rotation.Enabled {
			sec.Rotation.Next = sec.Rotation.nextAfter(now)
		}
		return nil
	})
	return err
}

// Timers: one per secret, for the earliest of its purge (end of the
// recovery window) and its next scheduled rotation.

// dueAt is when the secret next needs the service's attention.
func (sec *secret) dueAt() time.Time {
	var at time.Time
	if sec.Purge != nil {
		at = *sec.Purge
	}
	if sec.Rotation.Enabled && sec.Rotation.Next != nil && sec.Deleted == nil && sec.Primary == "" {
		if at.IsZero() || sec.Rotation.Next.Before(at) {
			at = *sec.Rotation.Next
		}
	}
	return at
}

// arm (re)sets the secret's timer.
func (s *SecretsManager) arm(sec secret) {
	sc, name := sec.scope(), sec.Name
	key := rotationKey(sc, name)
	at := sec.dueAt()
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.timers[key]; ok {
		t.Stop()
		delete(s.timers, key)
	}
	if at.IsZero() || s.closed {
		return
	}
	d := at.Sub(s.opt.Clock.Now())
	if d < 0 {
		d = 0
	}
	s.timers[key] = s.opt.Clock.AfterFunc(d, func() { s.due(sc, name) })
}

// armAll arms every stored secret's timer (at start).
func (s *SecretsManager) armAll() {
	var all []secret
	err := s.opt.Store.View(func(tx storage.Tx) error {
		var entries []timerEntry
		if err := timers.List(tx, storage.Scope{}, nil, storage.ListOptions{}, func(_ []string, e timerEntry) bool {
			entries = append(entries, e)
			return true
		}); err != nil {
			return err
		}
		for _, e := range entries {
			sec, ok, err := secrets.Get(tx, storage.Scope{Account: e.Account, Region: e.Region}, e.Name)
			if err != nil {
				return err
			}
			if ok {
				all = append(all, sec)
			}
		}
		return nil
	})
	if err != nil {
		s.opt.Log.Error("secretsmanager: reading the secrets due failed; their deletions and rotations wait for their next change", "error", err)
	}
	for _, sec := range all {
		s.arm(sec)
	}
}

// due purges a secret whose recovery window is over, or starts its
// scheduled rotation.
func (s *SecretsManager) due(sc storage.Scope, name string) {
	now := s.opt.Clock.Now()
	var rotateToken string
	var sec secret
	var exists bool
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		sec, exists, err = secrets.Get(tx, sc, name)
		if err != nil || !exists {
			return err
		}
		if sec.Purge != nil && !now.Before(*sec.Purge) {
			exists = false
			return purge(tx, sec)
		}
		if r := sec.Rotation; r.Enabled && r.Next != nil && !now.Before(*r.Next) && sec.Deleted == nil {
			if p := sec.pending(); p >= 0 {
				rotateToken = sec.Versions[p].ID
			} else {
				rotateToken = awsid.UUID()
			}
			sec.Rotation.Next = sec.Rotation.nextAfter(now)
		}
		return save(tx, sec)
	})
	if err != nil {
		s.opt.Log.Error("secretsmanager: a due deletion or rotation failed; it is retried on the secret's next change", "secret", name, "error", err)
		return
	}
	if !exists {
		s.mu.Lock()
		delete(s.timers, rotationKey(sc, name))
		s.mu.Unlock()
		return
	}
	s.arm(sec)
	if rotateToken != "" {
		s.startRotation(sc, name, rotateToken)
	}
}

// Idle waits until no rotation runs in the background (tests).
func (s *SecretsManager) Idle() { s.running.Wait() }
