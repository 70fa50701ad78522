// Package demo generates a coherent synthetic Zhenhai for demonstrations,
// tests and benchmarks: legal entities with valid codes, located in the
// district's real subdistricts and towns. Output is deterministic for a
// seed. Every person and entity in it is fictitious.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/standard"
)

var (
	surnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢傅钟姜崔谭陆汪范金石廖贾夏韦方邵孟")
	givenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海燕飞鹏辉俊峰凯文斌波宁")
	brandWords = []string{"甬江", "蛟川", "招宝", "骆驼", "庄市", "贵驷", "澥浦", "九龙", "镇海", "海天", "东港", "北仑", "金塘", "宁远", "恒信", "华泰", "中信", "银河", "天合", "瑞丰", "永泰", "新城", "港城", "石化", "明州", "四明", "雄镇", "俞范", "长江", "东方"}
	// kinds pairs a business-name ending with its GB/T 4754 industry code.
	kinds = []struct{ ending, industry, scope string }{
		{"石化有限公司", "C2511", "原油加工及石油制品制造"},
		{"化工有限公司", "C2614", "有机化学原料制造"},
		{"新材料科技有限公司", "C2651", "初级形态塑料及合成树脂制造"},
		{"机械制造有限公司", "C3411", "锅炉及辅助设备制造"},
		{"模具有限公司", "C3525", "模具制造"},
		{"电子科技有限公司", "C3976", "光电子器件制造"},
		{"港口物流有限公司", "G5532", "货运港口"},
		{"国际贸易有限公司", "F5179", "其他机械设备及电子产品批发"},
		{"建设工程有限公司", "E4710", "房屋建筑业"},
		{"信息技术有限公司", "I6510", "软件开发"},
		{"餐饮管理有限公司", "H6210", "正餐服务"},
		{"物业服务有限公司", "K7020", "物业管理"},
		{"热电有限公司", "D4411", "火力发电"},
		{"水产养殖专业合作社", "A0412", "海水养殖"},
	}
)

// Seeds of the demo district. The same seed gives the same entities.
const DefaultSeed = 330211

// LegalEntities returns n legal entities of the demo district.
func LegalEntities(seed uint64, n int) []*legalentityv1.LegalEntity {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	townships := standard.Zhenhai[3:] // township-level units
	out := make([]*legalentityv1.LegalEntity, 0, n)
	seen := map[string]bool{}
	for i := 0; len(out) < n; i++ {
		k := kinds[rng.IntN(len(kinds))]
		brand := brandWords[rng.IntN(len(brandWords))] + brandWords[rng.IntN(len(brandWords))]
		name := "宁波" + brand + k.ending
		if seen[name] {
			name = fmt.Sprintf("宁波%s%s(%d)", brand, k.ending, i)
		}
		seen[name] = true
		town := townships[rng.IntN(len(townships))]
		typ, orgType := legalentityv1.EntityType_ENTITY_TYPE_ENTERPRISE, byte('1')
		if k.industry[0] == 'A' {
			typ, orgType = legalentityv1.EntityType_ENTITY_TYPE_FARMERS_COOPERATIVE, '3'
		}
		uscc, err := standard.MakeUSCC('9', orgType, "330211", orgCode(rng, i))
		if err != nil {
			panic(err) // the generator's own inputs are always valid
		}
		established := time.Date(1995+rng.IntN(29), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		birth := time.Date(1955+rng.IntN(45), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		id, err := standard.MakeIDNumber("330211", birth, rng.IntN(1000))
		if err != nil {
			panic(err)
		}
		e := &legalentityv1.LegalEntity{
			Uscc:        uscc,
			DisplayName: name,
			EntityType:  typ,
			LegalRepresentative: &legalentityv1.LegalRepresentative{
				Name:     string(surnames[rng.IntN(len(surnames))]) + string(givenChars[rng.IntN(len(givenChars))]) + string(givenChars[rng.IntN(len(givenChars))]),
				IdNumber: id,
			},
			RegisteredCapital:     &legalentityv1.Money{Amount: fmt.Sprintf("%d.00", (1+rng.IntN(500))*100000), Currency: "CNY"},
			EstablishmentDate:     established.Format(time.DateOnly),
			RegistrationAuthority: "宁波市镇海区市场监督管理局",
			BusinessScope:         k.scope,
			IndustryCode:          k.industry,
			RegisteredAddress: &legalentityv1.Address{
				Text:         fmt.Sprintf("浙江省宁波市镇海区%s%s路%d号", town.Name, brandWords[rng.IntN(len(brandWords))], 1+rng.IntN(300)),
				DivisionCode: town.Code,
			},
			Status: legalentityv1.EntityStatus_ENTITY_STATUS_ACTIVE,
		}
		if rng.IntN(8) == 0 {
			e.FormerNames = []string{"镇海" + brandWords[rng.IntN(len(brandWords))] + k.ending}
		}
		if rng.IntN(15) == 0 {
			e.Status = legalentityv1.EntityStatus_ENTITY_STATUS_DEREGISTERED
			e.StatusDate = established.AddDate(3+rng.IntN(10), 0, 0).Format(time.DateOnly)
			if e.StatusDate > time.Now().Format(time.DateOnly) {
				e.Status, e.StatusDate = legalentityv1.EntityStatus_ENTITY_STATUS_ACTIVE, ""
			}
		}
		out = append(out, e)
	}
	return out
}

// orgCode makes a 9-character organisation code unique per index.
func orgCode(rng *rand.Rand, i int) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	b := []byte(fmt.Sprintf("MA%07d", i))
	b[2] = alphabet[rng.IntN(len(alphabet))]
	return string(b)
}

// SeedLegalEntities creates the demo entities through the registry's API,
// skipping those that exist already, so seeding twice is harmless.
func SeedLegalEntities(ctx context.Context, c legalentityv1.LegalEntityServiceClient, seed uint64, n int) (created int, err error) {
	for _, e := range LegalEntities(seed, n) {
		_, err := c.CreateLegalEntity(ctx, &legalentityv1.CreateLegalEntityRequest{LegalEntity: e})
		if alreadyExists(err) {
			continue
		}
		if err != nil {
			return created, fmt.Errorf("seed %s: %w", e.GetUscc(), err)
		}
		created++
	}
	return created, nil
}
