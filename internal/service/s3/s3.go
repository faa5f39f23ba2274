// Package s3 is Amazon S3: buckets and their configurations (versioning,
// tagging, CORS, website, logging, notifications, policy, ACL, encryption,
// lifecycle, ownership controls, public access block), objects streamed
// to the blob store, multipart uploads, static website endpoints, server
// access logs and event notifications.
//
// # Storage layout
//
// Bucket names are one namespace for every account and region, as on AWS,
// so every record lives in one scope (globalScope) and a bucket record
// names its owner account and region. Tables:
//
//   - bucket (name): the bucket and all its sub-resource configurations;
//   - object (bucket, key): the current version of each key, what GET and
//     the listings read;
//   - version (bucket, key, inverted sequence): every version of a key in a
//     bucket whose versioning was ever enabled, newest first, including
//     delete markers;
//   - upload (bucket, upload id) and part (bucket, upload id, part number):
//     multipart uploads in progress;
//   - logq (target bucket, sequence): access log lines waiting to be
//     flushed to their target bucket.
//
// Bodies are blobs; an object completed from a multipart upload keeps its
// parts' blobs and is read as their concatenation, so completing a 5 GiB
// upload copies nothing.
package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"log/slog"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Options tunes the service.
type Options struct {
	// LogFlushInterval is how long access log lines wait before they are
	// written to the target bucket as one log object (AWS delivers them
	// best-effort within hours; niwa bounds it so tests can observe it).
	LogFlushInterval time.Duration
	// HostSuffix is the host suffix of website endpoints ("localhost").
	HostSuffix string
	// DefaultRegion is the region of requests whose signature names none
	// (website requests).
	DefaultRegion string
	// Log receives background errors (log flushes, notifications).
	Log *slog.Logger
	// PostVerifier authenticates POST Object form uploads (their
	// signature covers the policy, not the request); nil refuses them.
	PostVerifier PostVerifier
	// DataKeys encrypts SSE-KMS objects under KMS keys as the caller; nil
	// records SSE-KMS without encrypting (ssekms.go).
	DataKeys kmsseam.DataKeys
	// SQLEngine runs SelectObjectContent's statements (select.go); nil
	// answers NotImplemented, saying no engine is linked.
	SQLEngine SQLEngine
	// RestoreDelay, when positive, is how long every RestoreObject takes
	// on niwa's clock; zero takes the shortest time AWS documents for
	// the object's storage class and the request's tier (restore.go).
	RestoreDelay time.Duration
	// ReplicationDelay is how long after a write its replica is made, on
	// niwa's clock (default one second).
	ReplicationDelay time.Duration
}

// PostVerifier authenticates a POST Object form: the signature (SigV4's
// x-amz-* fields or SigV2's AWSAccessKeyId and signature) is over the
// form's policy field. field returns a form field by its lower-cased name
// ("" when absent). It answers the signer, or a Caller with Anonymous set
// when the form carries no signature, or the AWS error to answer. The
// policy's conditions are S3's to check. internal/server implements it
// with the gateway's verifier (internal/auth), which S3 does not import.
type PostVerifier interface {
	VerifyPostPolicy(field func(string) string) (request.Caller, error)
}

// S3 implements the S3 API. Bind it with s3api.Bind.
type S3 struct {
	// bcache keeps each bucket's decoded record while no bucket record
	// is written (bucketcache.go): every request reads it several times.
	bcache bucketCache
	// records decodes each version of a bucket record once, for
	// bcache's misses.
	records *storage.DecodeCache[bucketRecord]
	// objs decodes each version of an object's current record once for
	// the reads that only read it (GET, HEAD: conditionalRead). It holds
	// at most objCacheMax records, each a few hundred bytes.
	objs  *storage.DecodeCache[objectRecord]
	store storage.Store
	blobs storage.BlobStore
	bus   *events.Bus
	clock clock.Clock
	opts  Options

	// flushMu guards flushArmed: whether a log flush timer is pending.
	// The pending lines themselves are stored (logq), so nothing is lost
	// with the timer.
	flushMu    sync.Mutex
	flushArmed bool
	flushTimer clock.Timer
	closed     bool
	// seqMu orders sequence numbers (version ordering, log queue,
	// notification sequencers) within this process.
	seqMu   sync.Mutex
	lastSeq int64
	// lifecycleMu guards the lifecycle sweeper's timer (lifecycle_sweep.go).
	// errDocs writes the raw routes' documents through the codec.
	errDocs        *errorDocs
	lifecycleMu    sync.Mutex
	lifecycleTimer clock.Timer
	lifecycleStop  bool
	// copyBufs holds writeBodyTo's copy buffers (*[]byte).
	copyBufs sync.Pool
	// inputFields maps an input type to the fields precondition reads
	// (reflect.Type → *preconditionFields).
	inputFields sync.Map
	// memberIndexes maps an input type to the fields the authorization
	// hooks read (reflect.Type → *memberIndexes; declare_input.go).
	memberIndexes sync.Map
}

// New returns the S3 service.
func New(store storage.Store, blobs storage.BlobStore, bus *events.Bus, clk clock.Clock, opts Options) *S3 {
	if opts.LogFlushInterval <= 0 {
		opts.LogFlushInterval = 5 * time.Second
	}
	if opts.HostSuffix == "" {
		opts.HostSuffix = "localhost"
	}
	if opts.DefaultRegion == "" {
		opts.DefaultRegion = "us-east-1"
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if bus == nil {
		bus = events.New()
	}
	return &S3{store: store, blobs: blobs, bus: bus, clock: clk, opts: opts, records: storage.NewDecodeCache(buckets, 4096), objs: storage.NewDecodeCache(objects, objCacheMax), errDocs: newErrorDocs()}
}

// objCacheMax bounds S3.objs: the objects a test reads again and again
// (fixtures, polled keys) stay decoded, and the cache's memory stays a
// small constant whatever is stored.
const objCacheMax = 1024

// Close stops the log flush timer after flushing what is pending.
func (s *S3) Close() error {
	s.flushMu.Lock()
	if s.flushTimer != nil {
		s.flushTimer.Stop()
	}
	s.closed = true
	s.flushMu.Unlock()
	s.flushLogs()
	return nil
}

// globalScope is the one scope of S3's records: bucket names are global.
func globalScope() storage.Scope { return storage.Scope{Account: "s3", Region: "global"} }

// nextSeq returns a strictly increasing number, based on the clock so
// that it keeps increasing across restarts with a durable store.
func (s *S3) nextSeq(now time.Time) int64 {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	n := now.UnixNano()
	if n <= s.lastSeq {
		n = s.lastSeq + 1
	}
	s.lastSeq = n
	return n
}

// canonicalID is the canonical user id S3 shows for an account: 64 hex
// digits, stable per account.
func canonicalID(account string) string {
	sum := sha256.Sum256([]byte("niwa-s3-canonical:" + account))
	return hex.EncodeToString(sum[:])
}

// displayName is the owner display name niwa shows.
const displayName = "niwa"

// newVersionID returns an S3-looking version id (32 URL-safe characters).
func newVersionID() string {
	return awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._", 32)
}

// seqKey renders a sequence number so that newer sorts first.
func seqKey(seq int64) string { return fmt.Sprintf("%019d", int64(^uint64(0)>>1)-seq) }
