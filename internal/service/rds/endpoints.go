package rds

import (
	"sort"
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Custom cluster endpoints are recorded with their member lists and
// answered by niwa's DNS; like every endpoint of the cluster they reach
// its one server (the members' roles do not route connections).

func (e clusterEndpointRec) describe() rdsapi.DBClusterEndpoint {
	out := rdsapi.DBClusterEndpoint{DBClusterEndpointIdentifier: ptr.To(e.ID), DBClusterIdentifier: ptr.To(e.Cluster),
		DBClusterEndpointResourceIdentifier: ptr.To(e.ResourceID), Endpoint: ptr.To(e.Address), Status: ptr.To("available"),
		EndpointType: ptr.To("CUSTOM"), CustomEndpointType: ptr.To(e.Type), StaticMembers: e.Static, ExcludedMembers: e.Excluded,
		DBClusterEndpointArn: ptr.To(e.ARN)}
	if out.StaticMembers == nil {
		out.StaticMembers = []string{}
	}
	if out.ExcludedMembers == nil {
		out.ExcludedMembers = []string{}
	}
	return out
}

func (s *RDS) checkEndpointMembers(tx storage.Tx, ctx *request.Context, c clusterRec, typ string, static, excluded []string) error {
	if typ != "READER" && typ != "ANY" {
		return awserr.InvalidParameterValue.New("Invalid endpoint type %s. Valid values are READER and ANY.", typ)
	}
	if len(static) > 0 && len(excluded) > 0 {
		return awserr.InvalidParameterCombination.New("You can't specify both StaticMembers and ExcludedMembers.")
	}
	ms, err := s.members(tx, ctx, c)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, m := range ms {
		ids[m.ID] = true
	}
	for _, id := range append(append([]string{}, static...), excluded...) {
		if !ids[strings.ToLower(id)] {
			return awserr.InvalidParameterValue.New("DB instance %s is not a member of DB cluster %s.", id, c.ID)
		}
	}
	return nil
}

// CreateDBClusterEndpoint records a custom endpoint.
func (s *RDS) CreateDBClusterEndpoint(ctx *request.Context, in *rdsapi.CreateDBClusterEndpointInput) (*rdsapi.CreateDBClusterEndpointOutput, error) {
	id := strings.ToLower(ptr.Deref(in.DBClusterEndpointIdentifier))
	if !validIdentifier(id) {
		return nil, awserr.InvalidParameterValue.New("The parameter DBClusterEndpointIdentifier is not a valid identifier.")
	}
	typ := strings.ToUpper(ptr.Deref(in.EndpointType))
	var out rdsapi.DBClusterEndpoint
	err := s.store.Update(func(tx storage.Tx) error {
		c, err := s.loadCluster(tx, ctx, ptr.Deref(in.DBClusterIdentifier))
		if err != nil {
			return err
		}
		if c.Status != "available" {
			return clusterStateErr(c, "available")
		}
		if _, ok, err := clusterEndpoints.Get(tx, anywhere, ctx.Account, ctx.Region, id); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBClusterEndpointAlreadyExistsFault.New("The specified custom endpoint can't be created because it already exists.")
		}
		n := 0
		err = clusterEndpoints.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, e clusterEndpointRec) bool {
			if e.Cluster == c.ID {
				n++
			}
			return true
		})
		if err != nil {
			return err
		}
		if n >= 5 {
			return rdsapi.ErrDBClusterEndpointQuotaExceededFault.New("The cluster already has the maximum number of custom endpoints (5).")
		}
		if err := s.checkEndpointMembers(tx, ctx, c, typ, in.StaticMembers, in.ExcludedMembers); err != nil {
			return err
		}
		e := clusterEndpointRec{Account: ctx.Account, Region: ctx.Region, ID: id, ARN: arn(ctx, "cluster-endpoint", id),
			ResourceID: "cluster-endpoint-" + strings.ToLower(awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 26)), Cluster: c.ID, Type: typ,
			Address: clusterHost(ctx.Account, ctx.Region, id, "cluster-custom"), Static: lower(in.StaticMembers), Excluded: lower(in.ExcludedMembers), Tags: in.Tags}
		out = e.describe()
		return clusterEndpoints.Put(tx, anywhere, e, ctx.Account, ctx.Region, id)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func lower(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.ToLower(s))
	}
	return out
}

// DescribeDBClusterEndpoints lists the clusters' writer and reader
// endpoints and the custom ones.
func (s *RDS) DescribeDBClusterEndpoints(ctx *request.Context, in *rdsapi.DescribeDBClusterEndpointsInput) (*rdsapi.DescribeDBClusterEndpointsOutput, error) {
	cluster := strings.ToLower(ptr.Deref(in.DBClusterIdentifier))
	want := strings.ToLower(ptr.Deref(in.DBClusterEndpointIdentifier))
	var all []rdsapi.DBClusterEndpoint
	err := s.store.View(func(tx storage.Tx) error {
		if cluster != "" {
			if _, ok, err := clusters.Get(tx, anywhere, ctx.Account, ctx.Region, cluster); err != nil {
				return err
			} else if !ok {
				return rdsapi.ErrDBClusterNotFoundFault.New("DBCluster %s not found.", ptr.Deref(in.DBClusterIdentifier))
			}
		}
		err := clusters.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, c clusterRec) bool {
			if (cluster != "" && c.ID != cluster) || want != "" {
				return true
			}
			for _, ep := range []struct{ addr, typ string }{{c.Endpoint, "WRITER"}, {c.ReaderEndpoint, "READER"}} {
				all = append(all, rdsapi.DBClusterEndpoint{DBClusterIdentifier: ptr.To(c.ID), DBClusterEndpointResourceIdentifier: ptr.To(c.ResourceID),
					Endpoint: ptr.To(ep.addr), Status: ptr.To("available"), EndpointType: ptr.To(ep.typ)})
			}
			return true
		})
		if err != nil {
			return err
		}
		return clusterEndpoints.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, e clusterEndpointRec) bool {
			if (cluster == "" || e.Cluster == cluster) && (want == "" || e.ID == want) {
				all = append(all, e.describe())
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if want != "" && len(all) == 0 {
		return nil, rdsapi.ErrDBClusterEndpointNotFoundFault.New("DBClusterEndpoint %s not found.", ptr.Deref(in.DBClusterEndpointIdentifier))
	}
	for _, f := range in.Filters {
		switch ptr.Deref(f.Name) {
		case "db-cluster-endpoint-type", "db-cluster-endpoint-custom-type", "db-cluster-endpoint-status":
		default:
			return nil, awserr.InvalidParameterValue.New("Unrecognized filter name: %s", ptr.Deref(f.Name))
		}
		var kept []rdsapi.DBClusterEndpoint
		for _, e := range all {
			v := map[string]string{"db-cluster-endpoint-type": ptr.Deref(e.EndpointType), "db-cluster-endpoint-custom-type": ptr.Deref(e.CustomEndpointType),
				"db-cluster-endpoint-status": ptr.Deref(e.Status)}[ptr.Deref(f.Name)]
			for _, w := range f.Values {
				if strings.EqualFold(w, v) {
					kept = append(kept, e)
					break
				}
			}
		}
		all = kept
	}
	sort.SliceStable(all, func(i, j int) bool {
		return ptr.Deref(all[i].DBClusterIdentifier) < ptr.Deref(all[j].DBClusterIdentifier)
	})
	page, marker, err := paginateAll(all, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBClusterEndpointsOutput{DBClusterEndpoints: page, Marker: marker}, nil
}

// ModifyDBClusterEndpoint changes a custom endpoint's type and members.
func (s *RDS) ModifyDBClusterEndpoint(ctx *request.Context, in *rdsapi.ModifyDBClusterEndpointInput) (*rdsapi.ModifyDBClusterEndpointOutput, error) {
	id := strings.ToLower(ptr.Deref(in.DBClusterEndpointIdentifier))
	var out rdsapi.DBClusterEndpoint
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := loadEndpoint(tx, ctx, id, ptr.Deref(in.DBClusterEndpointIdentifier))
		if err != nil {
			return err
		}
		c, err := s.loadCluster(tx, ctx, e.Cluster)
		if err != nil {
			return err
		}
		if t := ptr.Deref(in.EndpointType); t != "" {
			e.Type = strings.ToUpper(t)
		}
		if in.StaticMembers != nil {
			e.Static, e.Excluded = lower(in.StaticMembers), nil
		}
		if in.ExcludedMembers != nil {
			e.Excluded, e.Static = lower(in.ExcludedMembers), nil
		}
		if in.StaticMembers != nil && in.ExcludedMembers != nil {
			return awserr.InvalidParameterCombination.New("You can't specify both StaticMembers and ExcludedMembers.")
		}
		if err := s.checkEndpointMembers(tx, ctx, c, e.Type, e.Static, e.Excluded); err != nil {
			return err
		}
		out = e.describe()
		return clusterEndpoints.Put(tx, anywhere, e, ctx.Account, ctx.Region, id)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDBClusterEndpoint deletes a custom endpoint.
func (s *RDS) DeleteDBClusterEndpoint(ctx *request.Context, in *rdsapi.DeleteDBClusterEndpointInput) (*rdsapi.DeleteDBClusterEndpointOutput, error) {
	id := strings.ToLower(ptr.Deref(in.DBClusterEndpointIdentifier))
	var out rdsapi.DBClusterEndpoint
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := loadEndpoint(tx, ctx, id, ptr.Deref(in.DBClusterEndpointIdentifier))
		if err != nil {
			return err
		}
		out = e.describe()
		out.Status = ptr.To("deleting")
		return clusterEndpoints.Delete(tx, anywhere, ctx.Account, ctx.Region, id)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// loadEndpoint reads a custom endpoint by its lowercase id (given is the
// id as the caller gave it, for the error).
func loadEndpoint(tx storage.Tx, ctx *request.Context, id, given string) (clusterEndpointRec, error) {
	e, ok, err := clusterEndpoints.Get(tx, anywhere, ctx.Account, ctx.Region, id)
	if err != nil {
		return e, err
	}
	if !ok {
		return e, rdsapi.ErrDBClusterEndpointNotFoundFault.New("DBClusterEndpoint %s not found.", given)
	}
	return e, nil
}
