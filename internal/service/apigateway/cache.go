package apigateway

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/ptr"
)

// The stage cache: responses of methods with caching enabled, kept in
// memory (lost on restart, as a cache cluster's may be) for their TTL
// on niwa's clock, keyed by stage, method, path and the integration's
// cache key parameters.

// maxCacheBytes bounds one stage's cache whatever the cluster size says
// (0.5 GB and up): beyond it responses are served but not cached.
const maxCacheBytes = 64 << 20

type cacheEntry struct {
	expires time.Time
	status  int
	header  http.Header
	body    []byte
}

type stageCache struct {
	mu      sync.Mutex
	entries map[string]map[string]cacheEntry // by stage key, then entry key
	bytes   map[string]int
}

func newStageCache() *stageCache {
	return &stageCache{entries: map[string]map[string]cacheEntry{}, bytes: map[string]int{}}
}

func stageKey(api, stage string) string { return api + "/" + stage }

func (c *stageCache) get(stage, key string, now time.Time) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[stage][key]
	if !ok {
		return e, false
	}
	if !now.Before(e.expires) {
		c.dropLocked(stage, key)
		return cacheEntry{}, false
	}
	return e, true
}

func (c *stageCache) dropLocked(stage, key string) {
	if e, ok := c.entries[stage][key]; ok {
		c.bytes[stage] -= len(e.body)
		delete(c.entries[stage], key)
	}
}

func (c *stageCache) put(stage, key string, e cacheEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(stage, key)
	if c.bytes[stage]+len(e.body) > maxCacheBytes {
		for k, old := range c.entries[stage] {
			if !now.Before(old.expires) {
				c.dropLocked(stage, k)
			}
		}
		if c.bytes[stage]+len(e.body) > maxCacheBytes {
			return
		}
	}
	if c.entries[stage] == nil {
		c.entries[stage] = map[string]cacheEntry{}
	}
	c.entries[stage][key] = e
	c.bytes[stage] += len(e.body)
}

func (c *stageCache) invalidate(stage, key string) {
	c.mu.Lock()
	c.dropLocked(stage, key)
	c.mu.Unlock()
}

// flush empties a stage's cache (every stage of the API when stage is
// nil).
func (c *stageCache) flush(api, stage *string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if stage == nil && strings.HasPrefix(k, ptr.Deref(api)+"/") || stage != nil && k == stageKey(ptr.Deref(api), *stage) {
			delete(c.entries, k)
			delete(c.bytes, k)
		}
	}
}

func (c *stageCache) reset() {
	c.mu.Lock()
	c.entries, c.bytes = map[string]map[string]cacheEntry{}, map[string]int{}
	c.mu.Unlock()
}

// cacheKey is the call's cache entry: method, path and the values of the
// integration's cache key parameters.
func (c *call) cacheKey() string {
	var b strings.Builder
	b.WriteString(c.r.Method + " " + c.path)
	if integ := c.method.MethodIntegration; integ != nil {
		for _, p := range integ.CacheKeyParameters {
			vs, _ := c.mappingSource(p)
			b.WriteString("\x00" + p + "=" + strings.Join(vs, ","))
		}
	}
	return b.String()
}

// wantsInvalidation is a client's Cache-Control: max-age=0.
func wantsInvalidation(r *http.Request) bool {
	for _, v := range r.Header.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(d), " ", ""), "max-age=0") {
				return true
			}
		}
	}
	return false
}
