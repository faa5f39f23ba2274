package sqs

import (
	"strings"
	"sync"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// queueViews keeps each queue's record as last read, for the reads that
// need no transaction of their own: authorization's policy read
// (ResourcePolicy) and the message calls' first look at the queue
// (loadQueue: its KMS key, wait time). Every change to a queue record
// (create, delete, attributes, purge, tags, permissions) moves the
// cache's generation once its transaction has returned (updateQueues),
// as does a reset, so an entry read before a change is never used after
// it. The transactions that send, receive and delete still read the
// queue from the store.
//
// A reader takes the generation before it reads the store: a change
// committing while it reads makes its entry stale at once (the move
// comes after the commit), so the cache cannot keep a state older than
// the last change a caller has seen answered (storage.GenCache's rule).
// It keeps at most storage.DefaultGenCacheMax queues, then starts over.
type queueViews = storage.GenCache[queueRef, queueView]

type queueView struct {
	q     queue
	found bool
}

// viewQueue is the queue ref names, as last read (read-only: it shares
// its maps with the decode cache).
func (s *SQS) viewQueue(ref queueRef) (queue, bool, error) {
	e, gen, hit := s.views.Lookup(ref)
	if hit {
		return e.q, e.found, nil
	}
	return s.readQueueView(ref, gen)
}

// readQueueView reads the queue for viewQueue and keeps it for
// generation gen.
func (s *SQS) readQueueView(ref queueRef, gen uint64) (queue, bool, error) {
	var e queueView
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		e.q, e.found, err = s.cache.Get(tx, ref.scope, ref.name) // read-only
		return err
	})
	if err != nil {
		return queue{}, false, err
	}
	// The key's strings are slices of the request; the cache keeps
	// copies.
	key := queueRef{scope: storage.Scope{Account: strings.Clone(ref.scope.Account), Region: strings.Clone(ref.scope.Region)}, name: strings.Clone(ref.name)}
	s.views.Add(key, gen, e)
	return e.q, e.found, nil
}

// updateQueues runs fn, a transaction that may change queue records, and
// then makes the cached views stale (also when fn fails: it may have
// failed after its writes were made visible to nobody, and a stale view
// costs one read).
func (s *SQS) updateQueues(fn func(tx storage.Tx) error) error {
	return s.views.Update(s.store, fn)
}

// redrives keeps RedrivePolicy values parsed (every receive on a queue
// with a dead-letter queue reads its policy). A value is its own key, so
// an entry cannot go stale.
type redrives struct {
	mu sync.Mutex
	m  map[string]redrive
}

type redrive struct {
	target string
	max    int
	ok     bool
}

// maxRedrives bounds the parsed policies kept (then it starts over).
const maxRedrives = 1024

// parseRedrive is the package's parseRedrive, each value parsed once.
func (r *redrives) parse(v string) (target string, max int, ok bool) {
	if v == "" {
		return "", 0, false
	}
	r.mu.Lock()
	p, hit := r.m[v]
	r.mu.Unlock()
	if hit {
		return p.target, p.max, p.ok
	}
	p.target, p.max, p.ok = parseRedrive(v)
	r.mu.Lock()
	if r.m == nil || len(r.m) >= maxRedrives {
		r.m = map[string]redrive{}
	}
	r.m[strings.Clone(v)] = p
	r.mu.Unlock()
	return p.target, p.max, p.ok
}
