package textsearch_test

import (
	"fmt"

	"github.com/zhbase/zhbase/services/kit/textsearch"
)

// A company name is indexed by its characters and bigrams; a query is looked
// up by its bigrams, all of which the name has.
func Example_terms() {
	fmt.Println(textsearch.Terms("宁波镇海炼化有限公司"))
	fmt.Println(textsearch.QueryTerms("镇海炼化"))
	fmt.Println(textsearch.Terms("Sinopec 镇海"))
	fmt.Println(textsearch.QueryTerms("SINO"))
	// Output:
	// [宁 宁波 波 波镇 镇 镇海 海 海炼 炼 炼化 化 化有 有 有限 限 限公 公 公司 司]
	// [镇海 海炼 炼化]
	// [si sin sino sinop sinope sinopec 镇 镇海 海]
	// [sino]
}
