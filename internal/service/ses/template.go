package ses

import (
	"encoding/json"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// putTemplate creates (create=true: refusing an existing name with
// exists) or replaces (refusing a missing one with missing) a template.
func (c *Core) putTemplate(acct, region string, t template, create bool, exists, missing func() error) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		cur, ok, err := templates.Get(tx, scope(acct, region), t.Name)
		if err != nil {
			return err
		}
		switch {
		case create && ok:
			return exists()
		case !create && !ok:
			return missing()
		case !create:
			t.Created = cur.Created
		}
		return templates.Put(tx, scope(acct, region), t, t.Name)
	})
}

func (c *Core) getTemplate(acct, region, name string) (template, bool, error) {
	var t template
	var ok bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		t, ok, err = templates.Get(tx, scope(acct, region), name)
		return err
	})
	return t, ok, err
}

func (c *Core) deleteTemplate(acct, region, name string) (bool, error) {
	var ok bool
	err := c.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		ok, err = templates.DeleteExisting(tx, scope(acct, region), name)
		return err
	})
	return ok, err
}

func (c *Core) listTemplates(acct, region string) ([]template, error) {
	var out []template
	err := c.opt.Store.View(func(tx storage.Tx) error {
		return templates.List(tx, scope(acct, region), nil, storage.ListOptions{}, func(_ []string, t template) bool {
			out = append(out, t)
			return true
		})
	})
	return out, err
}

// placeholder is a {{name}} in a template (Handlebars' simple form).
var placeholder = lazyre.New(`\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

// render fills a template's parts with data (a JSON object). A name
// absent from data is refused as SES refuses it
// (MissingRenderingAttribute); malformed data is InvalidRenderingParameter.
func render(t template, data string, missing, invalid awserr.Code) (subject, text, html string, err error) {
	vars := map[string]any{}
	if data != "" {
		if e := json.Unmarshal([]byte(data), &vars); e != nil {
			return "", "", "", invalid.New("Template data is not valid JSON: %v", e)
		}
	}
	fill := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(m string) string {
			name := placeholder.FindStringSubmatch(m)[1]
			v, ok := vars[name]
			if !ok {
				if err == nil {
					err = missing.New("Attribute '%s' is not present in the rendering data.", name)
				}
				return ""
			}
			switch x := v.(type) {
			case string:
				return x
			default:
				b, _ := json.Marshal(x)
				return string(b)
			}
		})
	}
	subject, text, html = fill(t.Subject), fill(t.Text), fill(t.HTML)
	return subject, text, html, err
}

// now is the Core's clock (for work outside a request: SMTP).
func (c *Core) now() time.Time { return c.opt.Clock.Now() }
