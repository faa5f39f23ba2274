package ssm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
	"go.yaml.in/yaml/v3"
)

// Documents: the account's own (CreateDocument, versions, default
// version) beside the AWS-owned ones niwa knows, which every account
// lists and reads. Run Command runs a document's aws:runShellScript
// steps; its other plugins fail naming themselves.

// maxDocumentSize is SSM's limit on a document's content (64 KB).
const maxDocumentSize = 64 * 1024

// maxDocumentVersions is SSM's limit on a document's versions.
const maxDocumentVersions = 1000

type documentRecord struct {
	Name, DisplayName string
	DocumentType      string
	TargetType        string
	Created           time.Time
	Default, Latest   int
	Versions          []docVersion
	Tags              []ssmapi.Tag
}

type docVersion struct {
	Version     int
	VersionName string
	Content     string
	Format      string
	Hash        string
	Created     time.Time
}

var documents = storage.NewTable[documentRecord]("document")

// docContent is what niwa reads in a document: schema 1.2's
// runtimeConfig, schema 2.x's mainSteps, and the parameters.
type docContent struct {
	SchemaVersion string                     `yaml:"schemaVersion"`
	Description   string                     `yaml:"description"`
	Parameters    map[string]docParam        `yaml:"parameters"`
	RuntimeConfig map[string]docRuntimeBlock `yaml:"runtimeConfig"`
	MainSteps     []docStep                  `yaml:"mainSteps"`
}

type docParam struct {
	Type          string   `yaml:"type"`
	Description   string   `yaml:"description"`
	Default       any      `yaml:"default"`
	AllowedValues []string `yaml:"allowedValues"`
}

type docRuntimeBlock struct {
	Properties []map[string]any `yaml:"properties"`
}

type docStep struct {
	Action string         `yaml:"action"`
	Name   string         `yaml:"name"`
	Inputs map[string]any `yaml:"inputs"`
}

// parseDocument reads a document's content (JSON or YAML, JSON being
// YAML) and checks what SSM checks on creation.
func parseDocument(content string) (docContent, error) {
	var d docContent
	if err := yaml.Unmarshal([]byte(content), &d); err != nil {
		return d, ssmapi.ErrInvalidDocumentContent.New("The content for the document is not valid.")
	}
	switch d.SchemaVersion {
	case "1.2", "2.0", "2.2", "0.3":
	case "":
		return d, ssmapi.ErrInvalidDocumentContent.New("The content for the document is not valid.")
	default:
		return d, ssmapi.ErrInvalidDocumentSchemaVersion.New("Document schema version, %s, is not supported.", d.SchemaVersion)
	}
	return d, nil
}

func hashOf(content string) string {
	s := sha256.Sum256([]byte(content))
	return hex.EncodeToString(s[:])
}

// awsDocuments are the AWS-owned documents niwa has, by name.
func awsDocuments() map[string]documentRecord {
	created := time.Date(2017, 8, 31, 0, 0, 0, 0, time.UTC)
	mk := func(name, content string) documentRecord {
		return documentRecord{Name: name, DocumentType: "Command", Created: created, Default: 1, Latest: 1,
			Versions: []docVersion{{Version: 1, Content: content, Format: "JSON", Hash: hashOf(content), Created: created}}}
	}
	return map[string]documentRecord{
		"AWS-RunShellScript":      mk("AWS-RunShellScript", runShellScript),
		"AWS-RunPowerShellScript": mk("AWS-RunPowerShellScript", runPowerShellScript),
		"AWS-UpdateSSMAgent":      mk("AWS-UpdateSSMAgent", updateSSMAgent),
		"AWS-ConfigureAWSPackage": mk("AWS-ConfigureAWSPackage", configureAWSPackage),
	}
}

const runShellScript = `{
  "schemaVersion": "1.2",
  "description": "Run a shell script or specify the commands to run.",
  "parameters": {
    "commands": {"type": "StringList", "description": "(Required) Specify a shell script or a command to run.", "minItems": 1, "displayType": "textarea"},
    "workingDirectory": {"type": "String", "default": "", "description": "(Optional) The path to the working directory on your instance.", "maxChars": 4096},
    "executionTimeout": {"type": "String", "default": "3600", "description": "(Optional) The time in seconds for a command to complete before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).", "allowedPattern": "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"}
  },
  "runtimeConfig": {
    "aws:runShellScript": {
      "properties": [
        {"id": "0.aws:runShellScript", "runCommand": "{{ commands }}", "workingDirectory": "{{ workingDirectory }}", "timeoutSeconds": "{{ executionTimeout }}"}
      ]
    }
  }
}
`

const runPowerShellScript = `{
  "schemaVersion": "1.2",
  "description": "Run a PowerShell script or specify the paths to scripts to run.",
  "parameters": {
    "commands": {"type": "StringList", "description": "(Required) Specify the commands to run or the paths to existing scripts on the instance.", "minItems": 1, "displayType": "textarea"},
    "workingDirectory": {"type": "String", "default": "", "description": "(Optional) The path to the working directory on your instance.", "maxChars": 4096},
    "executionTimeout": {"type": "String", "default": "3600", "description": "(Optional) The time in seconds for a command to be completed before it is considered to have failed. Default is 3600 (1 hour). Maximum is 172800 (48 hours).", "allowedPattern": "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"}
  },
  "runtimeConfig": {
    "aws:runPowerShellScript": {
      "properties": [
        {"id": "0.aws:runPowerShellScript", "runCommand": "{{ commands }}", "workingDirectory": "{{ workingDirectory }}", "timeoutSeconds": "{{ executionTimeout }}"}
      ]
    }
  }
}
`

const updateSSMAgent = `{
  "schemaVersion": "1.2",
  "description": "Update the Amazon SSM Agent to the specified version or the latest version.",
  "parameters": {
    "version": {"default": "", "description": "(Optional) A specific version of the SSM Agent to install. If not specified, the agent will be updated to the latest version.", "type": "String"},
    "allowDowngrade": {"default": "false", "description": "(Optional) Allow the SSM Agent to be downgraded to an earlier version.", "type": "String", "allowedValues": ["true", "false"]}
  },
  "runtimeConfig": {
    "aws:updateSsmAgent": {
      "properties": [
        {"agentName": "amazon-ssm-agent", "allowDowngrade": "{{ allowDowngrade }}", "targetVersion": "{{ version }}"}
      ]
    }
  }
}
`

const configureAWSPackage = `{
  "schemaVersion": "2.2",
  "description": "Install or uninstall a Distributor package.",
  "parameters": {
    "action": {"description": "(Required) Specify whether or not to install or uninstall the package.", "type": "String", "allowedValues": ["Install", "Uninstall"]},
    "name": {"description": "(Required) The package to install/uninstall.", "type": "String"},
    "version": {"type": "String", "description": "(Optional) The version of the package to install or uninstall.", "default": ""}
  },
  "mainSteps": [
    {"action": "aws:configurePackage", "name": "configurePackage", "inputs": {"name": "{{ name }}", "action": "{{ action }}", "version": "{{ version }}"}}
  ]
}
`

// document finds a document (AWS-owned or the account's).
func (s *SSM) document(tx storage.Tx, sc storage.Scope, name string) (documentRecord, bool, error) {
	if strings.HasPrefix(name, "arn:") {
		if i := strings.LastIndex(name, "document/"); i >= 0 {
			name = name[i+len("document/"):]
		}
	}
	if d, ok := awsDocuments()[name]; ok {
		return d, true, nil
	}
	return documents.Get(tx, sc, name)
}

func isAWSName(name string) bool {
	l := strings.ToLower(name)
	return strings.HasPrefix(l, "aws") || strings.HasPrefix(l, "amazon") || strings.HasPrefix(l, "amzn")
}

func docMissing(name string) error {
	return ssmapi.ErrInvalidDocument.New("Document with name %s does not exist.", name)
}

// pick is the version a request names: DocumentVersion ($LATEST,
// $DEFAULT or a number), VersionName, or the default.
func (d *documentRecord) pick(version, versionName string) (docVersion, error) {
	n := d.Default
	switch version {
	case "", "$DEFAULT":
	case "$LATEST":
		n = d.Latest
	default:
		v, err := strconv.Atoi(version)
		if err != nil || v < 1 {
			return docVersion{}, ssmapi.ErrInvalidDocumentVersion.New("Document version %s is not valid.", version)
		}
		n = v
	}
	for _, v := range d.Versions {
		if versionName != "" && v.VersionName == versionName && (version == "" || v.Version == n) {
			return v, nil
		}
		if versionName == "" && v.Version == n {
			return v, nil
		}
	}
	return docVersion{}, ssmapi.ErrInvalidDocumentVersion.New("The document version is not valid or does not exist.")
}

func (s *SSM) describe(sc storage.Scope, d *documentRecord, v docVersion) *ssmapi.DocumentDescription {
	c, _ := parseDocument(v.Content)
	owner := sc.Account
	if _, ok := awsDocuments()[d.Name]; ok {
		owner = "Amazon"
	}
	out := &ssmapi.DocumentDescription{
		Name: ptr.To(d.Name), Hash: ptr.To(v.Hash), HashType: ptr.To("Sha256"), Owner: ptr.To(owner),
		CreatedDate: ptr.To(v.Created), Status: ptr.To("Active"), DocumentVersion: ptr.To(strconv.Itoa(v.Version)),
		Description: ptr.To(c.Description), PlatformTypes: []string{"Linux", "MacOS"}, DocumentType: ptr.To(d.DocumentType),
		SchemaVersion: ptr.To(c.SchemaVersion), LatestVersion: ptr.To(strconv.Itoa(d.Latest)), DefaultVersion: ptr.To(strconv.Itoa(d.Default)),
		DocumentFormat: ptr.To(v.Format), Tags: nonNil(d.Tags), Parameters: []ssmapi.DocumentParameter{},
	}
	if d.Name == "AWS-RunPowerShellScript" {
		out.PlatformTypes = []string{"Windows", "Linux"}
	}
	if d.DisplayName != "" {
		out.DisplayName = ptr.To(d.DisplayName)
	}
	if v.VersionName != "" {
		out.VersionName = ptr.To(v.VersionName)
	}
	if d.TargetType != "" {
		out.TargetType = ptr.To(d.TargetType)
	}
	names := make([]string, 0, len(c.Parameters))
	for k := range c.Parameters {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p := c.Parameters[k]
		dp := ssmapi.DocumentParameter{Name: ptr.To(k), Type: ptr.To(p.Type), Description: ptr.To(p.Description)}
		if p.Default != nil {
			dp.DefaultValue = ptr.To(defaultString(p.Default))
		}
		out.Parameters = append(out.Parameters, dp)
	}
	return out
}

func nonNil(t []ssmapi.Tag) []ssmapi.Tag {
	if t == nil {
		return []ssmapi.Tag{}
	}
	return t
}

func defaultString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// CreateDocument stores version 1 of a new document.
func (s *SSM) CreateDocument(ctx *request.Context, in *ssmapi.CreateDocumentRequest) (*ssmapi.CreateDocumentResult, error) {
	name, content := ptr.Deref(in.Name), ptr.Deref(in.Content)
	if isAWSName(name) {
		return nil, ssmapi.ErrInvalidDocument.New("Document name must not start with aws, amazon or amzn.")
	}
	if len(content) > maxDocumentSize {
		return nil, ssmapi.ErrMaxDocumentSizeExceeded.New("Document size exceeds the maximum of %d bytes.", maxDocumentSize)
	}
	if _, err := parseDocument(content); err != nil {
		return nil, err
	}
	now := ctx.Now().UTC()
	d := documentRecord{Name: name, DisplayName: ptr.Deref(in.DisplayName), DocumentType: orDefault(ptr.Deref(in.DocumentType), "Command"),
		TargetType: ptr.Deref(in.TargetType), Created: now, Default: 1, Latest: 1, Tags: in.Tags,
		Versions: []docVersion{{Version: 1, VersionName: ptr.Deref(in.VersionName), Content: content, Format: orDefault(ptr.Deref(in.DocumentFormat), "JSON"), Hash: hashOf(content), Created: now}}}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := documents.Get(tx, sc, name); err != nil || ok {
			if ok {
				return ssmapi.ErrDocumentAlreadyExists.New("Document with same name %s already exists", name)
			}
			return err
		}
		return documents.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.CreateDocumentResult{DocumentDescription: s.describe(sc, &d, d.Versions[0])}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// GetDocument returns a version's content.
func (s *SSM) GetDocument(ctx *request.Context, in *ssmapi.GetDocumentRequest) (*ssmapi.GetDocumentResult, error) {
	var d documentRecord
	var v docVersion
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		d, ok, err = s.document(tx, scope(ctx), ptr.Deref(in.Name))
		if err != nil {
			return err
		}
		if !ok {
			return docMissing(ptr.Deref(in.Name))
		}
		v, err = d.pick(ptr.Deref(in.DocumentVersion), ptr.Deref(in.VersionName))
		return err
	})
	if err != nil {
		return nil, err
	}
	content, format := v.Content, v.Format
	if f := ptr.Deref(in.DocumentFormat); f != "" && f != format {
		var err error
		content, err = convertFormat(content, f)
		if err != nil {
			return nil, err
		}
		format = f
	}
	out := &ssmapi.GetDocumentResult{Name: ptr.To(d.Name), CreatedDate: ptr.To(v.Created), DocumentVersion: ptr.To(strconv.Itoa(v.Version)),
		Status: ptr.To("Active"), Content: ptr.To(content), DocumentType: ptr.To(d.DocumentType), DocumentFormat: ptr.To(format)}
	if v.VersionName != "" {
		out.VersionName = ptr.To(v.VersionName)
	}
	if d.DisplayName != "" {
		out.DisplayName = ptr.To(d.DisplayName)
	}
	return out, nil
}

// convertFormat renders a document's content as JSON or YAML.
func convertFormat(content, format string) (string, error) {
	var v any
	if err := yaml.Unmarshal([]byte(content), &v); err != nil {
		return "", ssmapi.ErrInvalidDocumentContent.New("The content for the document is not valid.")
	}
	switch format {
	case "YAML":
		b, err := yaml.Marshal(v)
		return string(b), err
	case "JSON":
		b, err := json.MarshalIndent(jsonable(v), "", "  ")
		return string(b), err
	}
	return content, nil
}

// jsonable turns YAML's map[string]any trees into what encoding/json
// takes (it already is with yaml.v3; kept for map[any]any values).
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	}
	return v
}

// DescribeDocument describes a version (the default unless named).
func (s *SSM) DescribeDocument(ctx *request.Context, in *ssmapi.DescribeDocumentRequest) (*ssmapi.DescribeDocumentResult, error) {
	sc := scope(ctx)
	var out *ssmapi.DocumentDescription
	err := s.store.View(func(tx storage.Tx) error {
		d, ok, err := s.document(tx, sc, ptr.Deref(in.Name))
		if err != nil {
			return err
		}
		if !ok {
			return docMissing(ptr.Deref(in.Name))
		}
		v, err := d.pick(ptr.Deref(in.DocumentVersion), ptr.Deref(in.VersionName))
		if err != nil {
			return err
		}
		out = s.describe(sc, &d, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.DescribeDocumentResult{Document: out}, nil
}

// ListDocuments lists the AWS-owned documents and the account's, by
// name; filters: Owner (Self, Amazon, All), Name, DocumentType,
// SchemaVersion, PlatformTypes, tag:<key>.
func (s *SSM) ListDocuments(ctx *request.Context, in *ssmapi.ListDocumentsRequest) (*ssmapi.ListDocumentsResult, error) {
	max := int(ptr.Deref(in.MaxResults))
	if max == 0 {
		max = 50
	}
	after := ""
	if t := ptr.Deref(in.NextToken); t != "" {
		k, err := decodeToken(t)
		if err != nil {
			return nil, err
		}
		after = k
	}
	filters := map[string][]string{}
	for _, f := range in.DocumentFilterList {
		filters[ptr.Deref(f.Key)] = append(filters[ptr.Deref(f.Key)], ptr.Deref(f.Value))
	}
	for _, f := range in.Filters {
		k := ptr.Deref(f.Key)
		switch {
		case k == "Owner", k == "Name", k == "DocumentType", k == "SchemaVersion", k == "PlatformTypes", k == "TargetType", k == "SearchKeyword", strings.HasPrefix(k, "tag:"):
		default:
			return nil, ssmapi.ErrInvalidFilterKey.New("The filter key %s is not valid.", k)
		}
		filters[k] = append(filters[k], f.Values...)
	}
	sc := scope(ctx)
	var all []ssmapi.DocumentIdentifier
	err := s.store.View(func(tx storage.Tx) error {
		recs := []documentRecord{}
		for _, d := range awsDocuments() {
			recs = append(recs, d)
		}
		if err := documents.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, d documentRecord) bool {
			recs = append(recs, d)
			return true
		}); err != nil {
			return err
		}
		for i := range recs {
			d := &recs[i]
			v, err := d.pick("", "")
			if err != nil {
				continue
			}
			desc := s.describe(sc, d, v)
			id := ssmapi.DocumentIdentifier{Name: desc.Name, CreatedDate: ptr.To(d.Created), Owner: desc.Owner, PlatformTypes: desc.PlatformTypes,
				DocumentVersion: desc.DocumentVersion, DocumentType: desc.DocumentType, SchemaVersion: desc.SchemaVersion, DocumentFormat: desc.DocumentFormat,
				TargetType: desc.TargetType, Tags: desc.Tags, VersionName: desc.VersionName, DisplayName: desc.DisplayName}
			if docMatches(id, d.Tags, filters, sc.Account) {
				all = append(all, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return ptr.Deref(all[i].Name) < ptr.Deref(all[j].Name) })
	out := &ssmapi.ListDocumentsResult{DocumentIdentifiers: []ssmapi.DocumentIdentifier{}}
	for _, d := range all {
		if after != "" && ptr.Deref(d.Name) <= after {
			continue
		}
		if len(out.DocumentIdentifiers) == max {
			out.NextToken = ptr.To(encodeToken(ptr.Deref(out.DocumentIdentifiers[max-1].Name)))
			break
		}
		out.DocumentIdentifiers = append(out.DocumentIdentifiers, d)
	}
	return out, nil
}

func docMatches(d ssmapi.DocumentIdentifier, tags []ssmapi.Tag, f map[string][]string, account string) bool {
	for k, vals := range f {
		var have []string
		switch {
		case k == "Owner":
			owner := ptr.Deref(d.Owner)
			ok := false
			for _, v := range vals {
				if v == "All" || v == owner || (v == "Self" && owner == account) || (v == "Amazon" && owner == "Amazon") {
					ok = true
				}
			}
			if !ok {
				return false
			}
			continue
		case k == "Name":
			have = []string{ptr.Deref(d.Name)}
		case k == "DocumentType":
			have = []string{ptr.Deref(d.DocumentType)}
		case k == "SchemaVersion":
			have = []string{ptr.Deref(d.SchemaVersion)}
		case k == "PlatformTypes":
			have = d.PlatformTypes
		case k == "TargetType":
			have = []string{ptr.Deref(d.TargetType)}
		case k == "SearchKeyword":
			ok := false
			for _, v := range vals {
				if strings.Contains(strings.ToLower(ptr.Deref(d.Name)), strings.ToLower(v)) {
					ok = true
				}
			}
			if !ok {
				return false
			}
			continue
		case strings.HasPrefix(k, "tag:"):
			for _, t := range tags {
				if ptr.Deref(t.Key) == k[4:] {
					have = append(have, ptr.Deref(t.Value))
				}
			}
		}
		ok := false
		for _, h := range have {
			for _, v := range vals {
				if h == v {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// UpdateDocument adds a version (the latest; the default stays).
func (s *SSM) UpdateDocument(ctx *request.Context, in *ssmapi.UpdateDocumentRequest) (*ssmapi.UpdateDocumentResult, error) {
	name, content := ptr.Deref(in.Name), ptr.Deref(in.Content)
	if len(content) > maxDocumentSize {
		return nil, ssmapi.ErrMaxDocumentSizeExceeded.New("Document size exceeds the maximum of %d bytes.", maxDocumentSize)
	}
	if _, err := parseDocument(content); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var d documentRecord
	var v docVersion
	err := s.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		d, ok, err = documents.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			if _, aws := awsDocuments()[name]; aws {
				return ssmapi.ErrInvalidDocumentOperation.New("You can't update an AWS-owned document.")
			}
			return docMissing(name)
		}
		if dv := ptr.Deref(in.DocumentVersion); dv != "" && dv != "$LATEST" && dv != strconv.Itoa(d.Latest) {
			return ssmapi.ErrInvalidDocumentVersion.New("The document version is not valid or does not exist.")
		}
		h := hashOf(content)
		for _, old := range d.Versions {
			if old.Hash == h {
				return ssmapi.ErrDuplicateDocumentContent.New("The content of the association document matches another document. Change the content of the document and try again.")
			}
			if vn := ptr.Deref(in.VersionName); vn != "" && old.VersionName == vn {
				return ssmapi.ErrDuplicateDocumentVersionName.New("The specified version name is a duplicate.")
			}
		}
		if len(d.Versions) >= maxDocumentVersions {
			return ssmapi.ErrDocumentVersionLimitExceeded.New("The document has too many versions. Delete one or more document versions and try again.")
		}
		d.Latest++
		v = docVersion{Version: d.Latest, VersionName: ptr.Deref(in.VersionName), Content: content, Format: orDefault(ptr.Deref(in.DocumentFormat), "JSON"), Hash: h, Created: ctx.Now().UTC()}
		d.Versions = append(d.Versions, v)
		if in.DisplayName != nil {
			d.DisplayName = ptr.Deref(in.DisplayName)
		}
		return documents.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.UpdateDocumentResult{DocumentDescription: s.describe(sc, &d, v)}, nil
}

// UpdateDocumentDefaultVersion makes a version the default.
func (s *SSM) UpdateDocumentDefaultVersion(ctx *request.Context, in *ssmapi.UpdateDocumentDefaultVersionRequest) (*ssmapi.UpdateDocumentDefaultVersionResult, error) {
	name := ptr.Deref(in.Name)
	sc := scope(ctx)
	var out ssmapi.DocumentDefaultVersionDescription
	err := s.store.Update(func(tx storage.Tx) error {
		d, ok, err := documents.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return docMissing(name)
		}
		v, err := d.pick(ptr.Deref(in.DocumentVersion), "")
		if err != nil {
			return err
		}
		d.Default = v.Version
		out = ssmapi.DocumentDefaultVersionDescription{Name: ptr.To(name), DefaultVersion: ptr.To(strconv.Itoa(v.Version))}
		if v.VersionName != "" {
			out.DefaultVersionName = ptr.To(v.VersionName)
		}
		return documents.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.UpdateDocumentDefaultVersionResult{Description: &out}, nil
}

// ListDocumentVersions lists a document's versions, oldest first.
func (s *SSM) ListDocumentVersions(ctx *request.Context, in *ssmapi.ListDocumentVersionsRequest) (*ssmapi.ListDocumentVersionsResult, error) {
	var d documentRecord
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		d, ok, err = s.document(tx, scope(ctx), ptr.Deref(in.Name))
		if err == nil && !ok {
			err = docMissing(ptr.Deref(in.Name))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	max := int(ptr.Deref(in.MaxResults))
	if max == 0 {
		max = 50
	}
	start := 0
	if t := ptr.Deref(in.NextToken); t != "" {
		k, err := decodeToken(t)
		if err != nil {
			return nil, err
		}
		if start, err = strconv.Atoi(k); err != nil {
			return nil, ssmapi.ErrInvalidNextToken.New("The specified token isn't valid.")
		}
	}
	out := &ssmapi.ListDocumentVersionsResult{DocumentVersions: []ssmapi.DocumentVersionInfo{}}
	for i := start; i < len(d.Versions); i++ {
		if len(out.DocumentVersions) == max {
			out.NextToken = ptr.To(encodeToken(strconv.Itoa(i)))
			break
		}
		v := d.Versions[i]
		info := ssmapi.DocumentVersionInfo{Name: ptr.To(d.Name), DocumentVersion: ptr.To(strconv.Itoa(v.Version)), CreatedDate: ptr.To(v.Created),
			IsDefaultVersion: ptr.To(v.Version == d.Default), DocumentFormat: ptr.To(v.Format), Status: ptr.To("Active")}
		if v.VersionName != "" {
			info.VersionName = ptr.To(v.VersionName)
		}
		out.DocumentVersions = append(out.DocumentVersions, info)
	}
	return out, nil
}

// DeleteDocument deletes a document, or one of its versions (not the
// default).
func (s *SSM) DeleteDocument(ctx *request.Context, in *ssmapi.DeleteDocumentRequest) (*ssmapi.DeleteDocumentResult, error) {
	name := ptr.Deref(in.Name)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		d, ok, err := documents.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			if _, aws := awsDocuments()[name]; aws {
				return ssmapi.ErrInvalidDocumentOperation.New("You can't delete an AWS-owned document.")
			}
			return docMissing(name)
		}
		if in.DocumentVersion == nil && in.VersionName == nil {
			if used, err := s.documentAssociated(tx, sc, name); err != nil || used {
				if used {
					return ssmapi.ErrAssociatedInstances.New("You must disassociate a document from all managed nodes before you can delete it.")
				}
				return err
			}
			return documents.Delete(tx, sc, name)
		}
		v, err := d.pick(ptr.Deref(in.DocumentVersion), ptr.Deref(in.VersionName))
		if err != nil {
			return err
		}
		if v.Version == d.Default {
			return ssmapi.ErrInvalidDocumentOperation.New("Default version of the document can't be deleted.")
		}
		kept := d.Versions[:0]
		for _, x := range d.Versions {
			if x.Version != v.Version {
				kept = append(kept, x)
			}
		}
		d.Versions = kept
		return documents.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.DeleteDocumentResult{}, nil
}
