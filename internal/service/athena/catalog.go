package athena

import (
	"errors"
	"regexp"
	"strings"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// The data catalog API: AwsDataCatalog is the account's Glue catalog,
// read as the caller.

// awsDataCatalog is the one catalog niwa serves.
const awsDataCatalog = "AwsDataCatalog"

func catalogNotFound(name string) error {
	return athenaapi.ErrInvalidRequestException.New("Catalog %s was not found", name).With("AthenaErrorCode", "INVALID_INPUT")
}

// checkCatalogName accepts AwsDataCatalog ("" means it).
func checkCatalogName(name *string) error {
	if n := ptr.Deref(name); n != "" && !strings.EqualFold(n, awsDataCatalog) {
		return catalogNotFound(n)
	}
	return nil
}

// metadataError words a Glue error as the data catalog API answers it.
func metadataError(err error) error {
	var e *awserr.Error
	if errors.As(err, &e) {
		switch e.Code.Code {
		case "EntityNotFoundException":
			return athenaapi.ErrMetadataException.New("%s", e.Message)
		case "AccessDeniedException", "AccessDenied":
			return err
		}
	}
	return err
}

func (a *Athena) catalog() (Catalog, error) {
	if a.opts.Catalog == nil {
		return nil, athenaapi.ErrInternalServerException.New("The Glue Data Catalog is not available.")
	}
	return a.opts.Catalog, nil
}

// ListDataCatalogs lists AwsDataCatalog.
func (a *Athena) ListDataCatalogs(*request.Context, *athenaapi.ListDataCatalogsInput) (*athenaapi.ListDataCatalogsOutput, error) {
	return &athenaapi.ListDataCatalogsOutput{DataCatalogsSummary: []athenaapi.DataCatalogSummary{{CatalogName: ptr.To(awsDataCatalog), Type: ptr.To("GLUE")}}}, nil
}

// GetDataCatalog describes AwsDataCatalog.
func (a *Athena) GetDataCatalog(ctx *request.Context, in *athenaapi.GetDataCatalogInput) (*athenaapi.GetDataCatalogOutput, error) {
	if err := checkCatalogName(in.Name); err != nil {
		return nil, err
	}
	return &athenaapi.GetDataCatalogOutput{DataCatalog: &athenaapi.DataCatalog{Name: ptr.To(awsDataCatalog), Type: ptr.To("GLUE"),
		Description: ptr.To("AWS Glue Data Catalog"), Parameters: map[string]string{"catalog-id": ctx.Account}}}, nil
}

// ListEngineVersions lists the engine niwa runs.
func (a *Athena) ListEngineVersions(*request.Context, *athenaapi.ListEngineVersionsInput) (*athenaapi.ListEngineVersionsOutput, error) {
	v := engineVersion(ptr.To("Athena engine version 3"))
	return &athenaapi.ListEngineVersionsOutput{EngineVersions: []athenaapi.EngineVersion{*v}}, nil
}

// ListDatabases lists the catalog's databases.
func (a *Athena) ListDatabases(ctx *request.Context, in *athenaapi.ListDatabasesInput) (*athenaapi.ListDatabasesOutput, error) {
	if err := checkCatalogName(in.CatalogName); err != nil {
		return nil, err
	}
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	names, err := cat.Databases(ctx)
	if err != nil {
		return nil, metadataError(err)
	}
	list, next := pageStrings(names, in.NextToken, in.MaxResults, 50)
	out := &athenaapi.ListDatabasesOutput{DatabaseList: []athenaapi.Database{}, NextToken: next}
	for _, n := range list {
		desc, params, err := cat.Database(ctx, n)
		if err != nil {
			return nil, metadataError(err)
		}
		out.DatabaseList = append(out.DatabaseList, athenaapi.Database{Name: ptr.To(n), Description: optional(desc), Parameters: params})
	}
	return out, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// GetDatabase describes a database.
func (a *Athena) GetDatabase(ctx *request.Context, in *athenaapi.GetDatabaseInput) (*athenaapi.GetDatabaseOutput, error) {
	if err := checkCatalogName(in.CatalogName); err != nil {
		return nil, err
	}
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(ptr.Deref(in.DatabaseName))
	desc, params, err := cat.Database(ctx, name)
	if err != nil {
		return nil, metadataError(err)
	}
	return &athenaapi.GetDatabaseOutput{Database: &athenaapi.Database{Name: ptr.To(name), Description: optional(desc), Parameters: params}}, nil
}

func tableMetadata(t Table) athenaapi.TableMetadata {
	cols := func(cs []sqlengine.Column) []athenaapi.Column {
		out := make([]athenaapi.Column, len(cs))
		for i, c := range cs {
			out[i] = athenaapi.Column{Name: ptr.To(c.Name), Type: ptr.To(c.Type)}
		}
		return out
	}
	params := map[string]string{}
	for k, v := range t.Parameters {
		params[k] = v
	}
	if t.Location != "" {
		params["location"] = t.Location
	}
	if t.InputFormat != "" {
		params["inputformat"] = t.InputFormat
	}
	if t.OutputFormat != "" {
		params["outputformat"] = t.OutputFormat
	}
	if t.SerDe != "" {
		params["serde.serialization.lib"] = t.SerDe
	}
	for k, v := range t.SerDeParams {
		params["serde.param."+k] = v
	}
	md := athenaapi.TableMetadata{Name: ptr.To(t.Name), TableType: ptr.To(t.TableType), Columns: cols(t.Columns),
		PartitionKeys: cols(t.PartitionKeys), Parameters: params}
	if !t.CreateTime.IsZero() {
		md.CreateTime = ptr.To(t.CreateTime)
	}
	return md
}

// GetTableMetadata describes a table.
func (a *Athena) GetTableMetadata(ctx *request.Context, in *athenaapi.GetTableMetadataInput) (*athenaapi.GetTableMetadataOutput, error) {
	if err := checkCatalogName(in.CatalogName); err != nil {
		return nil, err
	}
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	t, err := cat.Table(ctx, strings.ToLower(ptr.Deref(in.DatabaseName)), strings.ToLower(ptr.Deref(in.TableName)))
	if err != nil {
		return nil, metadataError(err)
	}
	md := tableMetadata(t)
	return &athenaapi.GetTableMetadataOutput{TableMetadata: &md}, nil
}

// ListTableMetadata lists a database's tables, those whose names match
// Expression (a regular expression).
func (a *Athena) ListTableMetadata(ctx *request.Context, in *athenaapi.ListTableMetadataInput) (*athenaapi.ListTableMetadataOutput, error) {
	if err := checkCatalogName(in.CatalogName); err != nil {
		return nil, err
	}
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	var re *regexp.Regexp
	if e := ptr.Deref(in.Expression); e != "" {
		if re, err = regexp.Compile("(?i)^(?:" + strings.ReplaceAll(e, "*", ".*") + ")$"); err != nil {
			return nil, athenaapi.ErrInvalidRequestException.New("Invalid expression: %s", e).With("AthenaErrorCode", "INVALID_INPUT")
		}
	}
	ts, err := cat.Tables(ctx, strings.ToLower(ptr.Deref(in.DatabaseName)))
	if err != nil {
		return nil, metadataError(err)
	}
	byName := map[string]Table{}
	var names []string
	for _, t := range ts {
		if re == nil || re.MatchString(t.Name) {
			byName[t.Name] = t
			names = append(names, t.Name)
		}
	}
	list, next := pageStrings(names, in.NextToken, in.MaxResults, 50)
	out := &athenaapi.ListTableMetadataOutput{TableMetadataList: []athenaapi.TableMetadata{}, NextToken: next}
	for _, n := range list {
		out.TableMetadataList = append(out.TableMetadataList, tableMetadata(byName[n]))
	}
	return out, nil
}
