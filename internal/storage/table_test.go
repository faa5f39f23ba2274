package storage

import (
	"fmt"
	"slices"
	"testing"
)

type role struct {
	Name string   `json:"name"`
	Path string   `json:"path"`
	Tags []string `json:"tags,omitempty"`
}

func TestTable(t *testing.T) {
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			testTable(t, openBackend(t, k.opts(t)))
		})
	}
}

func testTable(t *testing.T, b Backend) {
	s := openStore(t, b, "iam")
	roles := NewTable[role]("role")
	policies := NewTable[string]("policy")
	acct := Global("000000000000")
	other := Global("111111111111")

	mustUpdate(t, s, func(tx Tx) error {
		for _, n := range []string{"admin", "ci", "deploy", "dev", "reader"} {
			if err := roles.Put(tx, acct, role{Name: n, Path: "/"}, n); err != nil {
				return err
			}
		}
		if err := roles.Put(tx, other, role{Name: "admin", Path: "/other/"}, "admin"); err != nil {
			return err
		}
		// Another table in the same scope must not show up in role lists.
		return policies.Put(tx, acct, "{}", "admin-policy")
	})

	if err := s.View(func(tx Tx) error {
		r, ok, err := roles.Get(tx, acct, "admin")
		if err != nil || !ok || r.Path != "/" {
			t.Errorf("Get admin = %+v, %v, %v", r, ok, err)
		}
		r, ok, err = roles.Get(tx, other, "admin")
		if err != nil || !ok || r.Path != "/other/" {
			t.Errorf("Get other admin = %+v, %v, %v", r, ok, err)
		}
		if _, ok, err := roles.Get(tx, acct, "nobody"); ok || err != nil {
			t.Errorf("Get missing = %v, %v", ok, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	list := func(opts ListOptions, prefix ...string) []string {
		var names []string
		if err := s.View(func(tx Tx) error {
			return roles.List(tx, acct, prefix, opts, func(key []string, r role) bool {
				if len(key) != 1 || key[0] != r.Name {
					t.Errorf("key %q for record %+v", key, r)
				}
				names = append(names, r.Name)
				return true
			})
		}); err != nil {
			t.Fatal(err)
		}
		return names
	}
	all := []string{"admin", "ci", "deploy", "dev", "reader"}
	for _, c := range []struct {
		name   string
		opts   ListOptions
		prefix []string
		want   []string
	}{
		{"all", ListOptions{}, nil, all},
		{"reverse", ListOptions{Reverse: true}, nil, []string{"reader", "dev", "deploy", "ci", "admin"}},
		{"partial", ListOptions{Partial: "de"}, nil, []string{"deploy", "dev"}},
		{"after", ListOptions{After: []string{"ci"}, Limit: 2}, nil, []string{"deploy", "dev"}},
		{"after reverse", ListOptions{After: []string{"deploy"}, Reverse: true}, nil, []string{"ci", "admin"}},
		{"whole-part prefix", ListOptions{}, []string{"dev"}, []string{"dev"}},
		{"limit", ListOptions{Limit: 1}, nil, []string{"admin"}},
	} {
		if got := list(c.opts, c.prefix...); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q want %q", c.name, got, c.want)
		}
	}

	// Paging with After visits everything exactly once.
	var paged []string
	var after []string
	for {
		var page []string
		if err := s.View(func(tx Tx) error {
			return roles.List(tx, acct, nil, ListOptions{After: after, Limit: 2}, func(key []string, r role) bool {
				page = append(page, key[0])
				return true
			})
		}); err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = []string{page[len(page)-1]}
	}
	if !slices.Equal(paged, all) {
		t.Errorf("paged = %q", paged)
	}

	mustUpdate(t, s, func(tx Tx) error { return roles.Delete(tx, acct, "ci") })
	if got := list(ListOptions{}); !slices.Equal(got, []string{"admin", "deploy", "dev", "reader"}) {
		t.Errorf("after Delete: %q", got)
	}

	// Undecodable data is an error, not a silently skipped record.
	mustUpdate(t, s, func(tx Tx) error { return tx.Put(roles.Key(acct, "broken"), []byte("{not json")) })
	err := s.View(func(tx Tx) error {
		_, _, err := roles.Get(tx, acct, "broken")
		return err
	})
	if err == nil {
		t.Error("Get of corrupt record succeeded")
	}
	err = s.View(func(tx Tx) error {
		return roles.List(tx, acct, nil, ListOptions{}, func([]string, role) bool { return true })
	})
	if err == nil {
		t.Error("List over corrupt record succeeded")
	}
}

func TestTableMultiPartKeys(t *testing.T) {
	b := openBackend(t, Options{})
	s := openStore(t, b, "s3")
	objects := NewTable[BlobRef]("object")
	sc := Scope{Account: "000000000000", Region: "eu-west-1"}
	mustUpdate(t, s, func(tx Tx) error {
		for i, k := range []string{"a.txt", "photos/1.jpg", "photos/2.jpg", "photos2/x"} {
			if err := objects.Put(tx, sc, BlobRef{ID: fmt.Sprint(i), Size: int64(i)}, "bucket", k); err != nil {
				return err
			}
		}
		return objects.Put(tx, sc, BlobRef{ID: "z"}, "bucket-2", "photos/other.jpg")
	})
	var got []string
	if err := s.View(func(tx Tx) error {
		return objects.List(tx, sc, []string{"bucket"}, ListOptions{Partial: "photos/"}, func(key []string, ref BlobRef) bool {
			got = append(got, fmt.Sprintf("%s=%s", key, ref.ID))
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"[bucket photos/1.jpg]=1", "[bucket photos/2.jpg]=2"}; !slices.Equal(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

// TestTableDeleteExisting: DeleteExisting deletes a record that is there
// and says so, and reports false (deleting nothing) for one that is not,
// in that account's scope only.
func TestTableDeleteExisting(t *testing.T) {
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			s := openStore(t, openBackend(t, k.opts(t)), "logs")
			tbl := NewTable[string]("policy")
			acct, other := Global("000000000000"), Global("111111111111")
			mustUpdate(t, s, func(tx Tx) error { return tbl.Put(tx, acct, "doc", "p") })
			for _, c := range []struct {
				sc   Scope
				want bool
			}{{other, false}, {acct, true}, {acct, false}} {
				var got bool
				mustUpdate(t, s, func(tx Tx) error {
					var err error
					got, err = tbl.DeleteExisting(tx, c.sc, "p")
					return err
				})
				if got != c.want {
					t.Fatalf("DeleteExisting in %v = %v, want %v", c.sc, got, c.want)
				}
			}
		})
	}
}

// A table's key is its scope's key with the table name as first part,
// whatever bytes the parts hold (the escape and terminator bytes too).
func TestTableKeyIsScopeKey(t *testing.T) {
	tbl := NewTable[struct{}]("tbl")
	for _, c := range []struct {
		sc   Scope
		keys []string
	}{
		{Scope{Account: "123456789012", Region: "us-east-1"}, []string{"a"}},
		{Global("123456789012"), []string{"a", "b/c"}},
		{Scope{}, nil},
		{Scope{Account: "1\x00\x01", Region: "r\x00"}, []string{"\x00\x00", "", "\x01"}},
	} {
		if got, want := tbl.Key(c.sc, c.keys...), c.sc.Key(append([]string{"tbl"}, c.keys...)...); string(got) != string(want) {
			t.Errorf("Key(%q, %q) = %q, want %q", c.sc, c.keys, got, want)
		}
	}
}

// TestGetMissAllocatesOnlyTheKey: a Get that finds nothing makes its key
// and nothing else — no record to decode into (every existence check
// before a create and every put of a new key is such a miss; the record
// it allocated was about 500 bytes for an S3 object's).
func TestGetMissAllocatesOnlyTheKey(t *testing.T) {
	st, tbl, _, sc := newCacheFixture(t, Options{})
	_ = st.View(func(tx Tx) error {
		key := testing.AllocsPerRun(100, func() { _ = tbl.Key(sc, "missing") })
		if n := testing.AllocsPerRun(100, func() { _, _, _ = tbl.Get(tx, sc, "missing") }); n > key {
			t.Errorf("a miss allocated %v times, building its key %v", n, key)
		}
		return nil
	})
}
