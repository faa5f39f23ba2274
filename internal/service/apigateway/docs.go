package apigateway

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Documentation parts (JSON properties attached to a location in the
// API) and documentation versions (snapshots of them).

var docTypes = map[string]bool{"API": true, "AUTHORIZER": true, "MODEL": true, "RESOURCE": true, "METHOD": true,
	"PATH_PARAMETER": true, "QUERY_PARAMETER": true, "REQUEST_HEADER": true, "REQUEST_BODY": true, "RESPONSE": true,
	"RESPONSE_HEADER": true, "RESPONSE_BODY": true}

// maxDocProperties is AWS's limit on a part's properties (4 KB).
const maxDocProperties = 4096

func errNoDocPart() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Documentation part identifier specified")
}

func checkDocPart(p *apigatewayapi.DocumentationPart) error {
	if p.Location == nil || !docTypes[ptr.Deref(p.Location.Type)] {
		return apigatewayapi.ErrBadRequestException.New("Invalid documentation location type specified")
	}
	props := ptr.Deref(p.Properties)
	if len(props) > maxDocProperties {
		return apigatewayapi.ErrBadRequestException.New("Documentation part properties must be at most %d bytes", maxDocProperties)
	}
	var v map[string]any
	if json.Unmarshal([]byte(props), &v) != nil {
		return apigatewayapi.ErrBadRequestException.New("Documentation part properties must be a valid JSON object")
	}
	return nil
}

func sameLocation(a, b *apigatewayapi.DocumentationPartLocation) bool {
	return ptr.Deref(a.Type) == ptr.Deref(b.Type) && ptr.Deref(a.Path) == ptr.Deref(b.Path) &&
		ptr.Deref(a.Method) == ptr.Deref(b.Method) && ptr.Deref(a.StatusCode) == ptr.Deref(b.StatusCode) &&
		ptr.Deref(a.Name) == ptr.Deref(b.Name)
}

func (s *APIGateway) CreateDocumentationPart(ctx *request.Context, in *apigatewayapi.CreateDocumentationPartRequest) (*apigatewayapi.DocumentationPart, error) {
	p := apigatewayapi.DocumentationPart{Id: ptr.To(newID()), Location: in.Location, Properties: in.Properties}
	if err := checkDocPart(&p); err != nil {
		return nil, err
	}
	if p.Location.Path == nil && ptr.Deref(p.Location.Type) != "API" && ptr.Deref(p.Location.Type) != "MODEL" && ptr.Deref(p.Location.Type) != "AUTHORIZER" {
		p.Location.Path = ptr.To("/")
	}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		for _, o := range a.DocParts {
			if sameLocation(o.Location, p.Location) {
				return apigatewayapi.ErrConflictException.New("Documentation part already exists for the specified location: type '%s'", ptr.Deref(p.Location.Type))
			}
		}
		if a.DocParts == nil {
			a.DocParts = map[string]apigatewayapi.DocumentationPart{}
		}
		a.DocParts[*p.Id] = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *APIGateway) GetDocumentationPart(ctx *request.Context, in *apigatewayapi.GetDocumentationPartRequest) (*apigatewayapi.DocumentationPart, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	p, ok := a.DocParts[ptr.Deref(in.DocumentationPartId)]
	if !ok {
		return nil, errNoDocPart()
	}
	return &p, nil
}

func (s *APIGateway) GetDocumentationParts(ctx *request.Context, in *apigatewayapi.GetDocumentationPartsRequest) (*apigatewayapi.DocumentationParts, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.DocumentationParts{Items: []apigatewayapi.DocumentationPart{}}
	for _, p := range a.DocParts {
		if t := ptr.Deref(in.Type); t != "" && t != ptr.Deref(p.Location.Type) {
			continue
		}
		if q := ptr.Deref(in.NameQuery); q != "" && !strings.Contains(ptr.Deref(p.Location.Name), q) {
			continue
		}
		if path := ptr.Deref(in.Path); path != "" && path != ptr.Deref(p.Location.Path) {
			continue
		}
		out.Items = append(out.Items, p)
	}
	sort.Slice(out.Items, func(i, j int) bool { return *out.Items[i].Id < *out.Items[j].Id })
	return out, nil
}

func (s *APIGateway) UpdateDocumentationPart(ctx *request.Context, in *apigatewayapi.UpdateDocumentationPartRequest) (*apigatewayapi.DocumentationPart, error) {
	var out apigatewayapi.DocumentationPart
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		p, ok := a.DocParts[ptr.Deref(in.DocumentationPartId)]
		if !ok {
			return errNoDocPart()
		}
		if err := applyPatch(&p, in.PatchOperations, patchPaths{"/properties"}, nil); err != nil {
			return err
		}
		if err := checkDocPart(&p); err != nil {
			return err
		}
		a.DocParts[*p.Id] = p
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteDocumentationPart(ctx *request.Context, in *apigatewayapi.DeleteDocumentationPartRequest) (*apigatewayapi.DeleteDocumentationPartOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if _, ok := a.DocParts[ptr.Deref(in.DocumentationPartId)]; !ok {
			return errNoDocPart()
		}
		delete(a.DocParts, ptr.Deref(in.DocumentationPartId))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteDocumentationPartOutput{}, nil
}

// ImportDocumentationParts reads the x-amazon-apigateway-documentation
// extension of an OpenAPI definition: mode "merge" (the default) adds
// and replaces parts by location, "overwrite" replaces them all.
func (s *APIGateway) ImportDocumentationParts(ctx *request.Context, in *apigatewayapi.ImportDocumentationPartsRequest) (*apigatewayapi.DocumentationPartIds, error) {
	doc, err := parseDefinition(in.Body)
	if err != nil {
		return nil, err
	}
	mode := ptr.Deref(in.Mode)
	if mode == "" {
		mode = "merge"
	}
	if mode != "merge" && mode != "overwrite" {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid mode specified. Valid values are merge, overwrite")
	}
	var parts []apigatewayapi.DocumentationPart
	for _, raw := range asList(obj(doc["x-amazon-apigateway-documentation"])["documentationParts"]) {
		m := obj(raw)
		loc := obj(m["location"])
		props, _ := json.Marshal(m["properties"])
		p := apigatewayapi.DocumentationPart{Location: &apigatewayapi.DocumentationPartLocation{Type: ptr.To(str(loc["type"]))},
			Properties: ptr.To(string(props))}
		for k, dst := range map[string]**string{"path": &p.Location.Path, "method": &p.Location.Method, "statusCode": &p.Location.StatusCode, "name": &p.Location.Name} {
			if v := str(loc[k]); v != "" {
				*dst = ptr.To(v)
			}
		}
		if err := checkDocPart(&p); err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	out := &apigatewayapi.DocumentationPartIds{Ids: []string{}, Warnings: []string{}}
	err = s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if mode == "overwrite" || a.DocParts == nil {
			a.DocParts = map[string]apigatewayapi.DocumentationPart{}
		}
		for _, p := range parts {
			id := newID()
			for oid, o := range a.DocParts {
				if sameLocation(o.Location, p.Location) {
					id = oid
				}
			}
			p.Id = &id
			a.DocParts[id] = p
			out.Ids = append(out.Ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func errNoDocVersion() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Documentation version identifier specified")
}

func (s *APIGateway) CreateDocumentationVersion(ctx *request.Context, in *apigatewayapi.CreateDocumentationVersionRequest) (*apigatewayapi.DocumentationVersion, error) {
	ver := ptr.Deref(in.DocumentationVersion)
	if ver == "" {
		return nil, apigatewayapi.ErrBadRequestException.New("Documentation version must be non-empty")
	}
	now := ctx.Now().UTC().Truncate(time.Second)
	v := apigatewayapi.DocumentationVersion{Version: &ver, CreatedDate: &now, Description: in.Description}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if _, ok := a.DocVersions[ver]; ok {
			return apigatewayapi.ErrConflictException.New("Documentation version already exists")
		}
		if st := ptr.Deref(in.StageName); st != "" {
			stage, ok := a.Stages[st]
			if !ok {
				return errNoStage()
			}
			stage.DocumentationVersion = &ver
			a.Stages[st] = stage
		}
		if a.DocVersions == nil {
			a.DocVersions = map[string]docVersion{}
		}
		snap := map[string]apigatewayapi.DocumentationPart{}
		for k, p := range a.DocParts {
			snap[k] = p
		}
		a.DocVersions[ver] = docVersion{Version: v, Parts: snap}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (s *APIGateway) GetDocumentationVersion(ctx *request.Context, in *apigatewayapi.GetDocumentationVersionRequest) (*apigatewayapi.DocumentationVersion, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	v, ok := a.DocVersions[ptr.Deref(in.DocumentationVersion)]
	if !ok {
		return nil, errNoDocVersion()
	}
	return &v.Version, nil
}

func (s *APIGateway) GetDocumentationVersions(ctx *request.Context, in *apigatewayapi.GetDocumentationVersionsRequest) (*apigatewayapi.DocumentationVersions, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.DocumentationVersions{Items: []apigatewayapi.DocumentationVersion{}}
	for _, v := range a.DocVersions {
		out.Items = append(out.Items, v.Version)
	}
	sort.Slice(out.Items, func(i, j int) bool { return *out.Items[i].Version < *out.Items[j].Version })
	return out, nil
}

func (s *APIGateway) UpdateDocumentationVersion(ctx *request.Context, in *apigatewayapi.UpdateDocumentationVersionRequest) (*apigatewayapi.DocumentationVersion, error) {
	var out apigatewayapi.DocumentationVersion
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		v, ok := a.DocVersions[ptr.Deref(in.DocumentationVersion)]
		if !ok {
			return errNoDocVersion()
		}
		if err := applyPatch(&v.Version, in.PatchOperations, patchPaths{"/description"}, nil); err != nil {
			return err
		}
		a.DocVersions[*v.Version.Version] = v
		out = v.Version
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteDocumentationVersion(ctx *request.Context, in *apigatewayapi.DeleteDocumentationVersionRequest) (*apigatewayapi.DeleteDocumentationVersionOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		ver := ptr.Deref(in.DocumentationVersion)
		if _, ok := a.DocVersions[ver]; !ok {
			return errNoDocVersion()
		}
		delete(a.DocVersions, ver)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteDocumentationVersionOutput{}, nil
}
