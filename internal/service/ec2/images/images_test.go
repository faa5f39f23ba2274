package images

import "testing"

func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	aliases := 0
	for _, im := range Catalog("ap-northeast-1") {
		if len(im.ID) != 21 || seen[im.ID] {
			t.Fatalf("bad or duplicate id %q for %s", im.ID, im.Name)
		}
		seen[im.ID] = true
		if im.Name == "" || im.Owner == "" || im.RootDevice == "" || im.Architecture == "" {
			t.Fatalf("incomplete entry %+v", im)
		}
		if im.Alias == "amazon" {
			aliases++
		}
	}
	if aliases < 8 {
		t.Fatalf("%d images owned by amazon", aliases)
	}
	if Catalog("us-east-1")[0].ID == Catalog("ap-northeast-1")[0].ID {
		t.Fatal("ids must differ per region")
	}
}
