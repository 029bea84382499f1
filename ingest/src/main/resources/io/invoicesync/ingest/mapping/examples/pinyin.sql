-- A tax-control system's tables, as such systems keep them: pinyin abbreviations, no primary key,
-- a composite identity (fpdm + fphm), dates and times as text, one amount as text and one in fen,
-- the rate as a percent string, codes for the type, blue/red and the status, and no foreign key
-- between the lines and the header. The fixture of docs/mapping.md's example.
CREATE SCHEMA skj;
CREATE TABLE skj.fp_kj (
    fpdm    varchar(12),           -- 发票代码 (empty for 数电票)
    fphm    varchar(20) NOT NULL,  -- 发票号码
    fplx    varchar(2),            -- 发票类型: 81 数电专票, 82 数电普票, 01 专票, 04 普票
    kprq    varchar(8),            -- 开票日期 yyyyMMdd
    kpsj    varchar(14),           -- 开票时间 yyyyMMddHHmmss
    xfsh    varchar(20),           -- 销方识别号
    xfmc    varchar(200),          -- 销方名称
    gfsh    varchar(20),           -- 购方识别号
    gfmc    varchar(200),          -- 购方名称
    hjje    varchar(20),           -- 合计金额, text with thousands separators
    hjse    bigint,                -- 合计税额, in fen
    jshj    numeric(18, 2),        -- 价税合计
    kplx    char(1),               -- 0 蓝字, 1 红字
    fpzt    char(1),               -- 发票状态: 0 正常, 1 作废, 2 全额红冲, 3 部分红冲
    yfp_dm  varchar(12),           -- 原发票代码 (red ones)
    yfp_hm  varchar(20),           -- 原发票号码 (red ones)
    bz      varchar(500),          -- 备注
    gxsj    timestamptz NOT NULL DEFAULT now(),  -- 更新时间, set by the platform on every change
    hzqrdbh varchar(20),           -- 红字确认单编号 (red ones)
    chyy    char(1),               -- 冲红原因 1 开票有误 2 销货退回 3 服务中止 4 销售折让 (red ones)
    yfp_kprq varchar(8)            -- 原发票开票日期 yyyyMMdd (red ones)
);
CREATE TABLE skj.fp_mx (
    fpdm    varchar(12),
    fphm    varchar(20) NOT NULL,
    xh      integer NOT NULL,      -- 序号
    spmc    varchar(200),          -- 商品名称
    ggxh    varchar(100),          -- 规格型号
    dw      varchar(20),           -- 单位
    spsl    numeric(24, 8),        -- 数量
    spdj    numeric(24, 8),        -- 单价
    spje    numeric(18, 2),        -- 金额
    sl      varchar(8),            -- 税率, '13%'
    se      numeric(18, 2),        -- 税额
    spbm    varchar(19)            -- 商品编码
);
