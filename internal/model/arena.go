package model

import "unsafe"

// linearMembers: a structure with at most this many members finds one by
// name with a scan of Members, no map (most structures are that small,
// and a map is two or more objects more for every collection to mark).
const linearMembers = 8

// arena hands out the pieces of one loaded model from a few large
// allocations. A model lives as long as niwa, and every collection marks
// it: what costs there is the number of objects and of pointers, so the
// refs are one array, the members and error lists slices of one array of
// pointers, and every string is interned in pointer-free slabs (a name
// used by a hundred refs is one copy, and a slab is one object).
type arena struct {
	refs    []Ref
	refPtrs []*Ref
	intPool []int
	strList []string
	floats  []float64
	nsPool  []XMLNamespace
	errs    []ErrorTrait

	slab   []byte
	intern map[string]string
}

// slabSize is the size of a string slab: EC2's model interns ~0.3 MB of
// distinct strings.
const slabSize = 32 << 10

func newArena(raw *parsed) *arena {
	// Every pool sized to what the model holds: the arrays live as long
	// as the model, and a pool of 1024 error traits or namespaces for a
	// model with ten is dead weight that every collection scans.
	var refs, lists, strs, ints, floats, ns, errs int
	countRef := func(r *rawRef) {
		if r != nil {
			refs++
			if r.XMLNamespace != nil {
				ns++
			}
		}
	}
	for i := range raw.shapes {
		rs := &raw.shapes[i]
		countRef(rs.Member)
		countRef(rs.Key)
		countRef(rs.Value)
		for k := range rs.Members {
			countRef(&rs.Members[k].rawRef)
		}
		lists += len(rs.Members)
		strs += len(rs.Required) + len(rs.Enum)
		ints += len(rs.Required)
		for _, f := range []*float64{rs.Min, rs.Max} {
			if f != nil {
				floats++
			}
		}
		if rs.XMLNamespace != nil {
			ns++
		}
		if rs.Error != nil {
			errs++
		}
	}
	for i := range raw.ops {
		ro := &raw.ops[i]
		countRef(ro.Input)
		countRef(ro.Output)
		for k := range ro.Errors {
			countRef(&ro.Errors[k])
		}
		lists += len(ro.Errors)
		if ro.HTTPChecksum != nil {
			strs += len(ro.HTTPChecksum.ResponseAlgorithms)
		}
	}
	strs += len(raw.meta.Protocols)
	return &arena{
		refs:    make([]Ref, 0, refs),
		refPtrs: make([]*Ref, 0, lists),
		strList: make([]string, 0, strs),
		intPool: make([]int, 0, ints),
		floats:  make([]float64, 0, floats),
		nsPool:  make([]XMLNamespace, 0, ns),
		errs:    make([]ErrorTrait, 0, errs),
		slab:    make([]byte, 0, min(slabSize, max(raw.size/2, 1024))),
		intern:  make(map[string]string, len(raw.shapes)*2),
	}
}

// chunk returns n zero elements from *pool, refilled with a new array
// of at least 1024 elements when it runs out; the result's capacity is
// n, so appending to it never writes into a neighbour.
func chunk[T any](pool *[]T, n int) []T {
	if cap(*pool)-len(*pool) < n {
		*pool = make([]T, 0, max(n, 1024))
	}
	p := *pool
	*pool = p[:len(p)+n]
	return p[len(p) : len(p)+n : len(p)+n]
}

func (a *arena) ref() *Ref { return &chunk(&a.refs, 1)[0] }

func (a *arena) refList(n int) []*Ref { return chunk(&a.refPtrs, n) }

func (a *arena) ints(n int) []int { return chunk(&a.intPool, n) }

// str interns s.
func (a *arena) str(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := a.intern[s]; ok {
		return v
	}
	if cap(a.slab)-len(a.slab) < len(s) {
		a.slab = make([]byte, 0, max(len(s), slabSize))
	}
	off := len(a.slab)
	a.slab = append(a.slab, s...)
	// The slab's bytes up to len are never written again: appends only
	// go past them, and a full slab is replaced, not grown.
	v := unsafe.String(&a.slab[off], len(s))
	a.intern[v] = v
	return v
}

// strs copies ss, its strings interned; nil stays nil.
func (a *arena) strs(ss []string) []string {
	switch {
	case ss == nil:
		return nil
	case len(ss) == 0:
		return []string{}
	}
	out := chunk(&a.strList, len(ss))
	for i, s := range ss {
		out[i] = a.str(s)
	}
	return out
}

func (a *arena) float(f *float64) *float64 {
	if f == nil {
		return nil
	}
	p := &chunk(&a.floats, 1)[0]
	*p = *f
	return p
}

func (a *arena) xmlns(x *XMLNamespace) *XMLNamespace {
	if x == nil {
		return nil
	}
	p := &chunk(&a.nsPool, 1)[0]
	*p = XMLNamespace{Prefix: a.str(x.Prefix), URI: a.str(x.URI)}
	return p
}

func (a *arena) errTrait(e *ErrorTrait) *ErrorTrait {
	if e == nil {
		return nil
	}
	p := &chunk(&a.errs, 1)[0]
	*p = ErrorTrait{Code: a.str(e.Code), HTTPStatusCode: e.HTTPStatusCode, SenderFault: e.SenderFault}
	return p
}

// metadata copies m, its strings interned: the scanner's point into the
// document.
func (a *arena) metadata(m *Metadata) Metadata {
	out := *m
	for _, f := range []*string{
		&out.APIVersion, &out.EndpointPrefix, &out.GlobalEndpoint, &out.JSONVersion,
		&out.Protocol, &out.ServiceAbbreviation, &out.ServiceFullName, &out.ServiceID,
		&out.SignatureVersion, &out.SigningName, &out.TargetPrefix, &out.UID,
		&out.XMLNamespace, &out.ChecksumFormat,
	} {
		*f = a.str(*f)
	}
	out.Protocols = a.strs(m.Protocols)
	return out
}
