package rds

import (
	"sort"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// paramGroupKind is what tells instance and cluster parameter groups
// apart; the operations on both read and change them through it.
type paramGroupKind struct {
	table       storage.Table[paramGroupRec]
	noun        string // "DBParameterGroup", in not-found errors
	arnType     string // "pg"
	defaultDesc string // the description of default.<family>, before the family
	validFamily func(string) bool
	// engines are the engines a group's parameters are shown for: the
	// first for a MySQL family, the second for a PostgreSQL one.
	engines [2]string
	// modes are the parameters' SupportedEngineModes.
	modes []string
}

var (
	instanceParams = paramGroupKind{table: paramGroups, noun: "DBParameterGroup", arnType: "pg",
		defaultDesc: "Default parameter group for ", validFamily: validFamily, engines: [2]string{"mysql", "postgres"}}
	clusterParams = paramGroupKind{table: clusterParamGroups, noun: "DBClusterParameterGroup", arnType: "cluster-pg",
		defaultDesc: "Default cluster parameter group for ", validFamily: validClusterFamily,
		engines: [2]string{"aurora-mysql", "aurora-postgresql"}, modes: []string{"provisioned"}}
)

func (k paramGroupKind) notFound(name string) error {
	return rdsapi.ErrDBParameterGroupNotFoundFault.New("%s not found: %s", k.noun, name)
}

// defaultFamily is the family of default.<family> when name is one.
func (k paramGroupKind) defaultFamily(name string) (string, bool) {
	fam := strings.TrimPrefix(name, "default.")
	return fam, fam != name && k.validFamily(fam)
}

// describeGroups lists the groups, or the one name names (default.*
// ones exist without being created), sorted and paged.
func (s *RDS) describeGroups(ctx *request.Context, k paramGroupKind, name, marker *string, max *int32) ([]paramGroupRec, *string, error) {
	var gs []paramGroupRec
	err := s.store.View(func(tx storage.Tx) error {
		return k.table.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, g paramGroupRec) bool {
			gs = append(gs, g)
			return true
		})
	})
	if err != nil {
		return nil, nil, err
	}
	if n := strings.ToLower(ptr.Deref(name)); n != "" {
		var kept []paramGroupRec
		for _, g := range gs {
			if g.Name == n {
				kept = append(kept, g)
			}
		}
		if fam, ok := k.defaultFamily(n); len(kept) == 0 && ok {
			kept = append(kept, paramGroupRec{Name: n, ARN: arn(ctx, k.arnType, n), Family: fam, Description: k.defaultDesc + fam})
		}
		if len(kept) == 0 {
			return nil, nil, k.notFound(ptr.Deref(name))
		}
		gs = kept
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Name < gs[j].Name })
	return paginate(gs, marker, max)
}

// modifyGroup sets parameters of a group; it answers the group's name.
func (s *RDS) modifyGroup(ctx *request.Context, k paramGroupKind, group *string, params []rdsapi.Parameter) (string, error) {
	name := strings.ToLower(ptr.Deref(group))
	if strings.HasPrefix(name, "default.") {
		return "", awserr.InvalidParameterValue.New("Default parameter groups cannot be modified.")
	}
	if len(params) == 0 || len(params) > 20 {
		return "", awserr.InvalidParameterValue.New("Between 1 and 20 parameters may be modified at a time.")
	}
	return name, s.store.Update(func(tx storage.Tx) error {
		g, ok, err := k.table.Get(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return k.notFound(ptr.Deref(group))
		}
		for _, p := range params {
			n := ptr.Deref(p.ParameterName)
			if _, known := engineParams[n]; !known {
				return awserr.InvalidParameterValue.New("Could not find parameter with name: %s", n)
			}
			g.Params[n] = ptr.Deref(p.ParameterValue)
		}
		return k.table.Put(tx, scope(ctx), g, name)
	})
}

// describeParams lists the parameters niwa applies and their values in
// a group (of Source source, when set), paged.
func (s *RDS) describeParams(ctx *request.Context, k paramGroupKind, group, source, marker *string, max *int32) ([]rdsapi.Parameter, *string, error) {
	name := strings.ToLower(ptr.Deref(group))
	g := paramGroupRec{Name: name}
	if fam, ok := k.defaultFamily(name); ok {
		g.Family = fam
	} else {
		var ok bool
		err := s.store.View(func(tx storage.Tx) error {
			var err error
			g, ok, err = k.table.Get(tx, scope(ctx), name)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, k.notFound(ptr.Deref(group))
		}
	}
	engine := k.engines[0]
	if strings.HasPrefix(g.Family, k.engines[1]) {
		engine = k.engines[1]
	}
	var ps []rdsapi.Parameter
	names := make([]string, 0, len(engineParams))
	for n := range engineParams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !forKind(n, engine) {
			continue
		}
		p := rdsapi.Parameter{ParameterName: ptr.To(n), Source: ptr.To("engine-default"), ApplyType: ptr.To("static"),
			DataType: ptr.To("string"), IsModifiable: ptr.To(true), ApplyMethod: ptr.To("pending-reboot"), SupportedEngineModes: k.modes}
		if v, ok := g.Params[n]; ok {
			p.ParameterValue, p.Source = ptr.To(v), ptr.To("user")
		}
		if src := ptr.Deref(source); src != "" && src != ptr.Deref(p.Source) {
			continue
		}
		ps = append(ps, p)
	}
	return paginate(ps, marker, max)
}
