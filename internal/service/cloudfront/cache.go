package cloudfront

import (
	"container/list"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// The edge cache keeps whole responses of cacheable GET and HEAD
// requests in memory, bounded in entries and body size; it is rebuilt
// from the origins at will, so it is not state (Reset drops it).
const (
	edgeCacheEntries = 1024
	edgeCacheBodyMax = 1 << 20
)

type cached struct {
	key, dist, path string
	status          int
	header          http.Header
	body            []byte
	stored          time.Time
	expires         time.Time
}

type edgeCache struct {
	mu      sync.Mutex
	max     int
	bodyMax int
	order   *list.List // front: most recently used
	items   map[string]*list.Element
}

func newEdgeCache(max, bodyMax int) *edgeCache {
	return &edgeCache{max: max, bodyMax: bodyMax, order: list.New(), items: map[string]*list.Element{}}
}

func (c *edgeCache) get(key string, now time.Time) (*cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	v := e.Value.(*cached)
	if !now.Before(v.expires) {
		c.order.Remove(e)
		delete(c.items, key)
		return nil, false
	}
	c.order.MoveToFront(e)
	return v, true
}

func (c *edgeCache) put(v *cached) {
	key := v.key
	if len(v.body) > c.bodyMax {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.Remove(e)
	}
	c.items[key] = c.order.PushFront(v)
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cached).key)
	}
}

// invalidate drops a distribution's entries whose path matches one of
// paths (a trailing * matches any rest, as CloudFront's wildcards do).
func (c *edgeCache) invalidate(dist string, paths []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.items {
		v := e.Value.(*cached)
		if v.dist != dist {
			continue
		}
		for _, p := range paths {
			if iam.Glob(p, v.path) || (strings.HasSuffix(p, "*") && strings.HasPrefix(v.path, strings.TrimSuffix(p, "*"))) {
				c.order.Remove(e)
				delete(c.items, k)
				break
			}
		}
	}
}

func (c *edgeCache) dropDistribution(dist string) { c.invalidate(dist, []string{"*"}) }

func (c *edgeCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	c.items = map[string]*list.Element{}
}
