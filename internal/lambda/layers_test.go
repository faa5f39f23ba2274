package lambda

import (
	"slices"
	"testing"
)

func TestLayerEnv(t *testing.T) {
	cases := []struct {
		name, runtime, root string
		in, want            []string
	}{
		{"no layers, no mount", "python3.12", "", []string{"PATH=/usr/bin"}, []string{"PATH=/usr/bin"}},
		{"python at /opt", "python3.12", "/opt", []string{"PATH=/usr/bin", "X=1"}, []string{
			"PATH=/usr/bin:/opt/bin", "X=1", "LD_LIBRARY_PATH=/opt/lib",
			"PYTHONPATH=/opt/python/lib/python3.12/site-packages:/opt/python", "NIWA_LAMBDA_OPT=/opt"}},
		{"node in a directory", "nodejs20.x", "/w/opt/abc", []string{"PATH=/bin"}, []string{
			"PATH=/bin:/w/opt/abc/bin", "LD_LIBRARY_PATH=/w/opt/abc/lib",
			"NODE_PATH=/w/opt/abc/nodejs/node20/node_modules:/w/opt/abc/nodejs/node_modules", "NIWA_LAMBDA_OPT=/w/opt/abc"}},
		{"function's own variables win", "python3.13", "/opt", []string{"PATH=/bin", "PYTHONPATH=/mine", "LD_LIBRARY_PATH=/l"}, []string{
			"PATH=/bin:/opt/bin", "PYTHONPATH=/mine", "LD_LIBRARY_PATH=/l", "NIWA_LAMBDA_OPT=/opt"}},
		{"provided", "provided.al2023", "/opt", nil, []string{"PATH=/opt/bin", "LD_LIBRARY_PATH=/opt/lib", "NIWA_LAMBDA_OPT=/opt"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := layerEnv(c.in, c.runtime, c.root); !slices.Equal(got, c.want) {
				t.Fatalf("got %q\nwant %q", got, c.want)
			}
		})
	}
}
