package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// scopes index the accounts and regions that hold records, so a delivery
// pass finds a multi-region trail's regions and prunes every history.
var scopesTbl = storage.NewTable[bool]("scopes")

// Tick delivers every logging trail's records and digests at the clock's
// time and prunes the history. The loop calls it every DeliveryInterval;
// tests may call it directly.
func (c *CloudTrail) Tick() error {
	c.tickMu.Lock()
	defer c.tickMu.Unlock()
	if err := c.flush(); err != nil {
		return err
	}
	now := c.clock.Now()
	var accts []string
	var scopes []storage.Scope
	if err := c.store.View(func(tx storage.Tx) error {
		if err := accounts.List(tx, indexScope, nil, storage.ListOptions{}, func(k []string, _ bool) bool {
			accts = append(accts, k[0])
			return true
		}); err != nil {
			return err
		}
		return scopesTbl.List(tx, indexScope, nil, storage.ListOptions{}, func(k []string, _ bool) bool {
			if len(k) == 2 {
				scopes = append(scopes, storage.Scope{Account: k[0], Region: k[1]})
			}
			return true
		})
	}); err != nil {
		return err
	}
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	for _, a := range accts {
		var ts []trailRecord
		note(c.store.View(func(tx storage.Tx) error {
			return trails.List(tx, storage.Global(a), nil, storage.ListOptions{}, func(_ []string, t trailRecord) bool {
				ts = append(ts, t)
				return true
			})
		}))
		for _, t := range ts {
			if t.Logging {
				note(c.deliverTrail(context.Background(), a, t.HomeRegion, t.Name, now, false))
			}
		}
	}
	for _, sc := range scopes {
		note(c.prune(sc, now))
	}
	return first
}

// regionsOf are the regions whose records a trail delivers.
func (c *CloudTrail) regionsOf(t *trailRecord) ([]string, error) {
	if !t.IsMultiRegionTrail {
		return []string{t.HomeRegion}, nil
	}
	set := map[string]bool{t.HomeRegion: true}
	err := c.store.View(func(tx storage.Tx) error {
		return scopesTbl.List(tx, indexScope, []string{t.Account}, storage.ListOptions{}, func(k []string, _ bool) bool {
			if len(k) == 2 {
				set[k[1]] = true
			}
			return true
		})
	})
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, err
}

// logFile is one delivered log file as a digest lists it.
type logFile struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime"`
	OldestEventTime string `json:"oldestEventTime"`
}

// digestState is a region's digest chain: where the current digest
// period started, the log files delivered in it, and the last digest.
type digestState struct {
	Start         time.Time
	Logs          []logFile
	PrevBucket    string
	PrevKey       string
	PrevSignature string
	PrevHash      string
}

// deliverTrail writes the trail's new records as one log file per region
// (and its digests when an hour has passed). final delivers what a
// stopped trail recorded while it was logging.
func (c *CloudTrail) deliverTrail(ctx context.Context, account, home, name string, now time.Time, final bool) error {
	var t trailRecord
	var ok bool
	if err := c.store.View(func(tx storage.Tx) error {
		var err error
		t, ok, err = trails.Get(tx, storage.Global(account), home, name)
		return err
	}); err != nil || !ok {
		return err
	}
	if !t.Logging && !final {
		return nil
	}
	regions, err := c.regionsOf(&t)
	if err != nil {
		return err
	}
	cursors := map[string]string{}
	digests := map[string]*digestState{}
	for r, d := range t.Digests {
		digests[r] = d
	}
	st := t.Status
	var delivered []string
	var cwl []json.RawMessage
	var cwlRegions []string
	for _, r := range regions {
		from := t.Since
		if cur := t.Cursors[r]; cur > from {
			from = cur
		}
		var recs []histRecord
		last := ""
		if err := c.store.View(func(tx storage.Tx) error {
			all, err := recordsAfter(tx, storage.Scope{Account: account, Region: r}, from)
			for _, sr := range all {
				h := sr.h
				if final && !t.StopLoggingTime.IsZero() && h.Time.After(t.StopLoggingTime) {
					break
				}
				last = sr.seq
				if t.selects(&h) {
					recs = append(recs, h)
				}
			}
			return err
		}); err != nil {
			return err
		}
		if last == "" {
			continue
		}
		if len(recs) == 0 {
			cursors[r] = last
			continue
		}
		st.LatestDeliveryAttempt = now
		lf, err := c.writeLogFile(ctx, &t, r, recs, now)
		if err != nil {
			st.LatestDeliveryError = deliveryError(err)
			continue // retried at the next pass
		}
		cursors[r] = last
		st.LatestDeliveryTime, st.LatestDeliveryError = now, ""
		delivered = append(delivered, lf.S3Object)
		if t.LogFileValidationEnabled {
			d := digests[r]
			if d == nil {
				d = &digestState{Start: t.StartLoggingTime}
				digests[r] = d
			}
			d.Logs = append(d.Logs, lf)
		}
		if t.CloudWatchLogsLogGroupArn != "" {
			for _, h := range recs {
				cwl = append(cwl, h.Raw)
				cwlRegions = append(cwlRegions, r)
			}
		}
	}
	if t.SnsTopicARN != "" && len(delivered) > 0 {
		body, _ := json.Marshal(map[string]any{"s3Bucket": t.S3BucketName, "s3ObjectKey": delivered})
		st.LatestNotificationAttempt = now
		err := c.bus.Deliver(ctx, events.Message{TargetARN: t.SnsTopicARN, Body: string(body), SourceService: servicePrincipal,
			SourceARN: t.arn(), SourceAccount: account})
		if err != nil {
			st.LatestNotificationError = "AuthorizationError"
		} else {
			st.LatestNotificationTime, st.LatestNotificationError = now, ""
		}
	}
	if len(cwl) > 0 {
		group := strings.TrimSuffix(t.CloudWatchLogsLogGroupArn, ":*")
		st.LatestCloudWatchLogsDeliveryError = ""
		for i, raw := range cwl {
			err := c.bus.Deliver(ctx, events.Message{TargetARN: group, Body: string(raw),
				LogStream: account + "_CloudTrail_" + cwlRegions[i]})
			if err != nil {
				st.LatestCloudWatchLogsDeliveryError = "ResourceNotFoundException"
				break
			}
		}
		if st.LatestCloudWatchLogsDeliveryError == "" {
			st.LatestCloudWatchLogsDeliveryTime = now
		}
	}
	if t.LogFileValidationEnabled {
		if _, ok := digests[t.HomeRegion]; !ok {
			digests[t.HomeRegion] = &digestState{Start: t.StartLoggingTime}
		}
		for _, r := range sortedKeys(digests) {
			d := digests[r]
			if now.Sub(d.Start) < DigestInterval && !final {
				continue
			}
			if err := c.writeDigest(ctx, &t, r, d, now); err != nil {
				st.LatestDigestDeliveryError = deliveryError(err)
				continue
			}
			st.LatestDigestDeliveryTime, st.LatestDigestDeliveryError = now, ""
		}
	}
	return c.store.Update(func(tx storage.Tx) error {
		cur, ok, err := trails.Get(tx, storage.Global(account), home, name)
		if err != nil || !ok {
			return err
		}
		if cur.Cursors == nil {
			cur.Cursors = map[string]string{}
		}
		for r, s := range cursors {
			if s > cur.Cursors[r] {
				cur.Cursors[r] = s
			}
		}
		cur.Digests = digests
		cur.Status = st
		return trails.Put(tx, storage.Global(account), cur, home, name)
	})
}

func sortedKeys(m map[string]*digestState) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// deliveryError is what GetTrailStatus shows for a failed delivery: the
// S3 error code, as AWS shows it.
func deliveryError(err error) string {
	switch {
	case errors.Is(err, objects.ErrAccessDenied):
		return "AccessDenied"
	case errors.Is(err, objects.ErrNoSuchBucket):
		return "NoSuchBucket"
	case errors.Is(err, errKMS):
		return "KMS.AccessDeniedException"
	}
	return "InternalError"
}

// logKey is a log file's key:
// <prefix>/AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz.
func logKey(t *trailRecord, region string, now time.Time) string {
	u := now.UTC()
	return fmt.Sprintf("%sCloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", logPrefix(t, t.Account), region,
		u.Format("2006/01/02"), t.Account, region, u.Format("20060102T1504Z"), awsid.String(keyChars, 16))
}

// keyChars are the characters of a log file name's random part.
const keyChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// writeLogFile writes recs as one gzip JSON log file.
func (c *CloudTrail) writeLogFile(ctx context.Context, t *trailRecord, region string, recs []histRecord, now time.Time) (logFile, error) {
	if c.opts.Objects == nil {
		return logFile{}, objects.ErrNoSuchBucket
	}
	raws := make([]json.RawMessage, len(recs))
	oldest, newest := recs[0].Time, recs[0].Time
	for i, h := range recs {
		raws[i] = h.Raw
		if h.Time.Before(oldest) {
			oldest = h.Time
		}
		if h.Time.After(newest) {
			newest = h.Time
		}
	}
	plain, err := json.Marshal(struct {
		Records []json.RawMessage `json:"Records"`
	}{raws})
	if err != nil {
		return logFile{}, err
	}
	body, err := gzipped(plain)
	if err != nil {
		return logFile{}, err
	}
	key := logKey(t, region, now)
	opts := objects.PutOptions{ContentType: "application/json"}
	if t.KmsKeyID != "" {
		sk, err := c.sealKey(ctx, t, key)
		if err != nil {
			return logFile{}, err
		}
		opts.KMS = sk
	}
	if err := c.opts.Objects.PutServiceObjectWith(ctx, t.S3BucketName, key, body, c.principal(t), opts); err != nil {
		return logFile{}, err
	}
	sum := sha256.Sum256(plain)
	return logFile{S3Bucket: t.S3BucketName, S3Object: key, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256",
		NewestEventTime: newest.UTC().Format(time.RFC3339), OldestEventTime: oldest.UTC().Format(time.RFC3339)}, nil
}

// errKMS marks a delivery that failed at KMS (the key policy no longer
// lets CloudTrail use the key, the key is disabled or gone).
var errKMS = errors.New("cloudtrail: KMS refused the trail's key")

// sealKey makes the data key a log file is encrypted under with the
// trail's KMS key, bound to the trail and the object as AWS's
// encryption context binds them. The key policy must still let
// cloudtrail.amazonaws.com use the key; the data key is generated for
// the trail's account.
func (c *CloudTrail) sealKey(ctx context.Context, t *trailRecord, key string) (*objects.SealKey, error) {
	if c.opts.Keys == nil {
		return nil, errKMS
	}
	encCtx := map[string]string{"aws:cloudtrail:arn": t.arn(), "aws:s3:arn": "arn:aws:s3:::" + t.S3BucketName + "/" + key}
	rc := &request.Context{Context: ctx, RequestID: awsid.UUID(), Service: "cloudtrail", Operation: "GenerateDataKey",
		Account: t.Account, Region: t.HomeRegion, Clock: c.clock, Log: c.opts.Log,
		Caller: request.Caller{Account: t.Account, ARN: "arn:aws:iam::" + t.Account + ":root", UserID: t.Account}}
	if _, err := c.opts.Keys.CheckService(rc, t.KmsKeyID, servicePrincipal, "GenerateDataKey", encCtx); err != nil {
		return nil, fmt.Errorf("%w: %v", errKMS, err)
	}
	dk, err := c.opts.Keys.GenerateDataKey(rc, t.KmsKeyID, encCtx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errKMS, err)
	}
	return &objects.SealKey{KeyARN: dk.KeyARN, Plaintext: dk.Plaintext, Ciphertext: dk.Ciphertext, Context: encCtx}, nil
}

func gzipped(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
