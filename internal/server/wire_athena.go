package server

import (
	"io"
	"strings"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/athena"
	"github.com/niwa-cloud/niwa/internal/service/glue"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// wireAthena wires Athena: the SQL engine cmd/niwa links (none in
// in-process servers), Glue as its catalog and S3 as its storage, both
// used as the caller through the authorizer (callerAuthOf), as AWS
// authorizes Athena's calls with the caller's credentials.
func wireAthena(d *deps) (*wiring, error) {
	store, err := d.store("athena")
	if err != nil {
		return nil, err
	}
	auth := d.callerAuthOf()
	opts := athena.Options{Engine: d.cfg.SQLEngine, Log: d.log.With("service", "athena")}
	if d.glue != nil {
		opts.Catalog = &glueCatalog{glue: d.glue, auth: auth, spec: &gateway.Service{Spec: glueapi.Spec()}}
	}
	if st := d.objectStore(); st != nil {
		opts.Objects = &callerObjects{store: st, auth: auth, spec: &gateway.Service{Spec: s3api.Spec()}}
	}
	svc := athena.New(store, d.clock, opts)
	return &wiring{Declaration: svc.Declare()}, nil
}

// callerAuth is the authorizer, for services that act as their caller
// on other services (Athena on Glue and S3). The authorizer is built
// after every service, so it is filled in later.
type callerAuth struct {
	auth *authorizer
}

// callerAuthOf is the holder the services get, made on first use.
func (d *deps) callerAuthOf() *callerAuth {
	if d.callerAuth == nil {
		d.callerAuth = &callerAuth{}
	}
	return d.callerAuth
}

// authorize asks whether the caller of ctx may call op of svc with
// input, as if it had called svc itself.
func (c *callerAuth) authorize(ctx *request.Context, svc *gateway.Service, op string, input any) error {
	if c == nil || c.auth == nil {
		return nil // no authorizer: a unit test's wiring
	}
	return c.auth.Authorize(ctx, svc, &model.Operation{Name: op}, input)
}

// callerObjects is S3 as the caller: each read and write is authorized
// as the S3 call it stands for, then served by objects.Store.
type callerObjects struct {
	store objects.Store
	auth  *callerAuth
	spec  *gateway.Service
}

func principalOf(ctx *request.Context) objects.Principal {
	return objects.Principal{CallerARN: ctx.Caller.ARN, CallerAccount: ctx.Caller.Account, Region: ctx.Region}
}

func (o *callerObjects) List(ctx *request.Context, bucket, prefix string) ([]objects.Object, error) {
	if err := o.auth.authorize(ctx, o.spec, "ListObjectsV2", &s3api.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix}); err != nil {
		return nil, err
	}
	return o.store.ListServiceObjects(ctx, bucket, prefix, principalOf(ctx))
}

func (o *callerObjects) Open(ctx *request.Context, bucket, key string) (io.ReadCloser, int64, error) {
	if err := o.auth.authorize(ctx, o.spec, "GetObject", &s3api.GetObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		return nil, 0, err
	}
	return o.store.OpenServiceObject(ctx, bucket, key, principalOf(ctx))
}

func (o *callerObjects) Put(ctx *request.Context, bucket, key string, body []byte) error {
	if err := o.auth.authorize(ctx, o.spec, "PutObject", &s3api.PutObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		return err
	}
	return o.store.PutServiceObject(ctx, bucket, key, body, principalOf(ctx))
}

// glueCatalog is Glue as Athena's catalog, used as the caller.
type glueCatalog struct {
	glue *glue.Glue
	auth *callerAuth
	spec *gateway.Service
}

var _ athena.Catalog = (*glueCatalog)(nil)

func (g *glueCatalog) call(ctx *request.Context, op string, in any) error {
	return g.auth.authorize(ctx, g.spec, op, in)
}

func (g *glueCatalog) CreateDatabase(ctx *request.Context, name, description, location string, params map[string]string) error {
	in := &glueapi.CreateDatabaseInput{DatabaseInput: &glueapi.DatabaseInput{Name: &name, Parameters: params}}
	if description != "" {
		in.DatabaseInput.Description = &description
	}
	if location != "" {
		in.DatabaseInput.LocationUri = &location
	}
	if err := g.call(ctx, "CreateDatabase", in); err != nil {
		return err
	}
	_, err := g.glue.CreateDatabase(ctx, in)
	return err
}

func (g *glueCatalog) DeleteDatabase(ctx *request.Context, name string) error {
	in := &glueapi.DeleteDatabaseInput{Name: &name}
	if err := g.call(ctx, "DeleteDatabase", in); err != nil {
		return err
	}
	_, err := g.glue.DeleteDatabase(ctx, in)
	return err
}

func (g *glueCatalog) Databases(ctx *request.Context) ([]string, error) {
	var names []string
	in := &glueapi.GetDatabasesInput{}
	if err := g.call(ctx, "GetDatabases", in); err != nil {
		return nil, err
	}
	for {
		out, err := g.glue.GetDatabases(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, db := range out.DatabaseList {
			names = append(names, ptr.Deref(db.Name))
		}
		if out.NextToken == nil {
			return names, nil
		}
		in.NextToken = out.NextToken
	}
}

func (g *glueCatalog) Database(ctx *request.Context, name string) (string, map[string]string, error) {
	in := &glueapi.GetDatabaseInput{Name: &name}
	if err := g.call(ctx, "GetDatabase", in); err != nil {
		return "", nil, err
	}
	out, err := g.glue.GetDatabase(ctx, in)
	if err != nil {
		return "", nil, err
	}
	return ptr.Deref(out.Database.Description), out.Database.Parameters, nil
}

func glueColumns(cs []sqlengine.Column) []glueapi.Column {
	out := make([]glueapi.Column, len(cs))
	for i, c := range cs {
		out[i] = glueapi.Column{Name: ptr.To(c.Name), Type: ptr.To(c.Type)}
	}
	return out
}

func engineColumns(cs []glueapi.Column) []sqlengine.Column {
	out := make([]sqlengine.Column, len(cs))
	for i, c := range cs {
		out[i] = sqlengine.Column{Name: strings.ToLower(ptr.Deref(c.Name)), Type: ptr.Deref(c.Type)}
	}
	return out
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func tableInput(t athena.Table) *glueapi.TableInput {
	in := &glueapi.TableInput{Name: ptr.To(t.Name), Description: optStr(t.Description), TableType: optStr(t.TableType),
		Parameters: t.Parameters, PartitionKeys: glueColumns(t.PartitionKeys),
		ViewOriginalText: optStr(t.ViewOriginalText), ViewExpandedText: optStr(t.ViewExpandedText),
		StorageDescriptor: &glueapi.StorageDescriptor{Columns: glueColumns(t.Columns), Location: optStr(t.Location),
			InputFormat: optStr(t.InputFormat), OutputFormat: optStr(t.OutputFormat), Compressed: ptr.To(false),
			NumberOfBuckets: ptr.To[int32](-1), StoredAsSubDirectories: ptr.To(false),
			SerdeInfo: &glueapi.SerDeInfo{SerializationLibrary: optStr(t.SerDe), Parameters: t.SerDeParams}}}
	if t.TableType == "VIRTUAL_VIEW" {
		in.StorageDescriptor.SerdeInfo = &glueapi.SerDeInfo{}
	}
	return in
}

func fromGlue(t glueapi.Table) athena.Table {
	out := athena.Table{Database: ptr.Deref(t.DatabaseName), Name: ptr.Deref(t.Name), Description: ptr.Deref(t.Description),
		PartitionKeys: engineColumns(t.PartitionKeys), Parameters: t.Parameters, TableType: ptr.Deref(t.TableType),
		ViewOriginalText: ptr.Deref(t.ViewOriginalText), ViewExpandedText: ptr.Deref(t.ViewExpandedText)}
	if t.CreateTime != nil {
		out.CreateTime = *t.CreateTime
	}
	if sd := t.StorageDescriptor; sd != nil {
		out.Columns = engineColumns(sd.Columns)
		out.Location, out.InputFormat, out.OutputFormat = ptr.Deref(sd.Location), ptr.Deref(sd.InputFormat), ptr.Deref(sd.OutputFormat)
		if sd.SerdeInfo != nil {
			out.SerDe, out.SerDeParams = ptr.Deref(sd.SerdeInfo.SerializationLibrary), sd.SerdeInfo.Parameters
		}
	}
	return out
}

func (g *glueCatalog) CreateTable(ctx *request.Context, t athena.Table) error {
	in := &glueapi.CreateTableInput{DatabaseName: ptr.To(t.Database), TableInput: tableInput(t)}
	if err := g.call(ctx, "CreateTable", in); err != nil {
		return err
	}
	_, err := g.glue.CreateTable(ctx, in)
	return err
}

func (g *glueCatalog) UpdateTable(ctx *request.Context, t athena.Table) error {
	in := &glueapi.UpdateTableInput{DatabaseName: ptr.To(t.Database), TableInput: tableInput(t)}
	if err := g.call(ctx, "UpdateTable", in); err != nil {
		return err
	}
	_, err := g.glue.UpdateTable(ctx, in)
	return err
}

func (g *glueCatalog) Table(ctx *request.Context, db, name string) (athena.Table, error) {
	in := &glueapi.GetTableInput{DatabaseName: &db, Name: &name}
	if err := g.call(ctx, "GetTable", in); err != nil {
		return athena.Table{}, err
	}
	out, err := g.glue.GetTable(ctx, in)
	if err != nil {
		return athena.Table{}, err
	}
	return fromGlue(*out.Table), nil
}

func (g *glueCatalog) Tables(ctx *request.Context, db string) ([]athena.Table, error) {
	in := &glueapi.GetTablesInput{DatabaseName: &db}
	if err := g.call(ctx, "GetTables", in); err != nil {
		return nil, err
	}
	var ts []athena.Table
	for {
		out, err := g.glue.GetTables(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, t := range out.TableList {
			ts = append(ts, fromGlue(t))
		}
		if out.NextToken == nil {
			return ts, nil
		}
		in.NextToken = out.NextToken
	}
}

func (g *glueCatalog) DeleteTable(ctx *request.Context, db, name string) error {
	in := &glueapi.DeleteTableInput{DatabaseName: &db, Name: &name}
	if err := g.call(ctx, "DeleteTable", in); err != nil {
		return err
	}
	_, err := g.glue.DeleteTable(ctx, in)
	return err
}

func (g *glueCatalog) Partitions(ctx *request.Context, db, table string) ([]athena.Partition, error) {
	in := &glueapi.GetPartitionsInput{DatabaseName: &db, TableName: &table}
	if err := g.call(ctx, "GetPartitions", in); err != nil {
		return nil, err
	}
	var ps []athena.Partition
	for {
		out, err := g.glue.GetPartitions(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, p := range out.Partitions {
			pt := athena.Partition{Values: p.Values}
			if p.StorageDescriptor != nil {
				pt.Location = ptr.Deref(p.StorageDescriptor.Location)
			}
			ps = append(ps, pt)
		}
		if out.NextToken == nil {
			return ps, nil
		}
		in.NextToken = out.NextToken
	}
}

func (g *glueCatalog) AddPartitions(ctx *request.Context, db, table string, parts []athena.Partition, ifNotExists bool) error {
	in := &glueapi.BatchCreatePartitionInput{DatabaseName: &db, TableName: &table}
	for _, p := range parts {
		in.PartitionInputList = append(in.PartitionInputList, glueapi.PartitionInput{Values: p.Values,
			StorageDescriptor: &glueapi.StorageDescriptor{Location: optStr(p.Location)}})
	}
	if err := g.call(ctx, "BatchCreatePartition", in); err != nil {
		return err
	}
	out, err := g.glue.BatchCreatePartition(ctx, in)
	if err != nil {
		return err
	}
	for _, e := range out.Errors {
		code := ptr.Deref(e.ErrorDetail.ErrorCode)
		if ifNotExists && code == glueapi.ErrAlreadyExistsException.Code {
			continue
		}
		return awserr.Code{Code: code, Status: 400, Sender: true}.New("%s", ptr.Deref(e.ErrorDetail.ErrorMessage))
	}
	return nil
}

func (g *glueCatalog) DeletePartition(ctx *request.Context, db, table string, values []string) error {
	in := &glueapi.DeletePartitionInput{DatabaseName: &db, TableName: &table, PartitionValues: values}
	if err := g.call(ctx, "DeletePartition", in); err != nil {
		return err
	}
	_, err := g.glue.DeletePartition(ctx, in)
	return err
}
