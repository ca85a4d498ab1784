/**
 * Recorded-style market fixtures: the instruments the simulator lists, with
 * the filters Bybit publishes for them and 24h ticker statistics. They are
 * TypeScript data so `tsc` ships them with the build. `basePrice` is the
 * price the moving mark oscillates around.
 */
import type { Category } from "./types.js";

export interface LotSize {
  minOrderQty: string;
  maxOrderQty: string;
  /** Linear, inverse, option: the quantity step. Spot: basePrecision. */
  qtyStep: string;
  /** Linear/inverse: the Market-order maximum. */
  maxMktOrderQty?: string;
  /** Linear: minimum qty x price, in the quote coin. */
  minNotionalValue?: string;
  /** Spot only. */
  quotePrecision?: string;
  minOrderAmt?: string;
  maxOrderAmt?: string;
}

export interface Instrument {
  category: Category;
  symbol: string;
  baseCoin: string;
  quoteCoin: string;
  settleCoin: string;
  tickSize: string;
  minPrice: string;
  maxPrice: string;
  lot: LotSize;
  /** Linear/inverse only. */
  maxLeverage?: string;
  basePrice: string;
  /** Phase of the drift sine, so symbols do not move in lockstep. */
  phase: number;
  /** Other fields of the instruments-info row, as Bybit sends them. */
  extra: Record<string, unknown>;
  /** 24h statistics for the ticker row. */
  stats: {
    prevPrice24h: string;
    highPrice24h: string;
    lowPrice24h: string;
    prevPrice1h?: string;
    volume24h: string;
    turnover24h: string;
    openInterest?: string;
    fundingRate?: string;
  };
}

const PERP_EXTRA = {
  status: "Trading",
  symbolType: "",
  deliveryTime: "0",
  deliveryFeeRate: "",
  unifiedMarginTrade: true,
  fundingInterval: 480,
  copyTrading: "both",
  upperFundingRate: "0.005",
  lowerFundingRate: "-0.005",
  displayName: "",
  forbidUplWithdrawal: false,
  riskParameters: { priceLimitRatioX: "0.01", priceLimitRatioY: "0.02" },
  isPreListing: false,
  preListingInfo: null,
};

const SPOT_EXTRA = {
  innovation: "0",
  symbolType: "",
  status: "Trading",
  marginTrading: "utaOnly",
  stTag: "0",
  riskParameters: { priceLimitRatioX: "0.005", priceLimitRatioY: "0.01" },
};

/** Option expiry: 26 Dec 2026, 08:00 UTC. */
export const OPTION_EXPIRY_MS = Date.UTC(2026, 11, 26, 8, 0, 0);

export const INSTRUMENTS: readonly Instrument[] = [
  {
    category: "linear",
    symbol: "BTCUSDT",
    baseCoin: "BTC",
    quoteCoin: "USDT",
    settleCoin: "USDT",
    tickSize: "0.10",
    minPrice: "0.10",
    maxPrice: "1999999.80",
    lot: {
      maxOrderQty: "1190.000",
      minOrderQty: "0.001",
      qtyStep: "0.001",
      maxMktOrderQty: "119.000",
      minNotionalValue: "5",
    },
    maxLeverage: "100.00",
    basePrice: "97250.40",
    phase: 0,
    extra: { ...PERP_EXTRA, symbolId: 1, contractType: "LinearPerpetual", launchTime: "1585526400000", priceScale: "2" },
    stats: {
      prevPrice24h: "95811.20",
      highPrice24h: "97998.00",
      lowPrice24h: "95420.10",
      prevPrice1h: "97102.70",
      volume24h: "78612.447",
      turnover24h: "7612093311.8854",
      openInterest: "52314.918",
      fundingRate: "0.0001",
    },
  },
  {
    category: "linear",
    symbol: "ETHUSDT",
    baseCoin: "ETH",
    quoteCoin: "USDT",
    settleCoin: "USDT",
    tickSize: "0.01",
    minPrice: "0.01",
    maxPrice: "199999.98",
    lot: {
      maxOrderQty: "7240.00",
      minOrderQty: "0.01",
      qtyStep: "0.01",
      maxMktOrderQty: "724.00",
      minNotionalValue: "5",
    },
    maxLeverage: "100.00",
    basePrice: "3405.37",
    phase: 1.3,
    extra: { ...PERP_EXTRA, symbolId: 2, contractType: "LinearPerpetual", launchTime: "1615766400000", priceScale: "2" },
    stats: {
      prevPrice24h: "3352.81",
      highPrice24h: "3441.90",
      lowPrice24h: "3318.44",
      prevPrice1h: "3399.02",
      volume24h: "702145.33",
      turnover24h: "2381457710.2231",
      openInterest: "1183402.71",
      fundingRate: "0.000087",
    },
  },
  {
    category: "inverse",
    symbol: "BTCUSD",
    baseCoin: "BTC",
    quoteCoin: "USD",
    settleCoin: "BTC",
    tickSize: "0.50",
    minPrice: "0.50",
    maxPrice: "1999999.00",
    lot: {
      maxOrderQty: "1000000",
      minOrderQty: "1",
      qtyStep: "1",
      maxMktOrderQty: "200000",
      minNotionalValue: "0",
    },
    maxLeverage: "100.00",
    basePrice: "97262.50",
    phase: 0.4,
    extra: { ...PERP_EXTRA, symbolId: 3, contractType: "InversePerpetual", launchTime: "1542211200000", priceScale: "2" },
    stats: {
      prevPrice24h: "95830.00",
      highPrice24h: "98010.50",
      lowPrice24h: "95433.00",
      prevPrice1h: "97110.00",
      volume24h: "381223570",
      turnover24h: "3941.60775213",
      openInterest: "472551218",
      fundingRate: "0.000052",
    },
  },
  {
    category: "spot",
    symbol: "BTCUSDT",
    baseCoin: "BTC",
    quoteCoin: "USDT",
    settleCoin: "USDT",
    tickSize: "0.01",
    minPrice: "0.01",
    maxPrice: "9999999.99",
    lot: {
      qtyStep: "0.000001",
      quotePrecision: "0.00000001",
      minOrderQty: "0.000048",
      maxOrderQty: "71.73956243",
      minOrderAmt: "5",
      maxOrderAmt: "2000000",
    },
    basePrice: "97245.31",
    phase: 0.1,
    extra: { ...SPOT_EXTRA, symbolId: 101 },
    stats: {
      prevPrice24h: "95799.68",
      highPrice24h: "97990.00",
      lowPrice24h: "95400.01",
      volume24h: "14502.775931",
      turnover24h: "1404199312.83526561",
    },
  },
  {
    category: "spot",
    symbol: "ETHUSDT",
    baseCoin: "ETH",
    quoteCoin: "USDT",
    settleCoin: "USDT",
    tickSize: "0.01",
    minPrice: "0.01",
    maxPrice: "1999999.99",
    lot: {
      qtyStep: "0.00001",
      quotePrecision: "0.0000001",
      minOrderQty: "0.00062",
      maxOrderQty: "1229.2336343",
      minOrderAmt: "5",
      maxOrderAmt: "2000000",
    },
    basePrice: "3405.12",
    phase: 1.4,
    extra: { ...SPOT_EXTRA, symbolId: 102 },
    stats: {
      prevPrice24h: "3352.20",
      highPrice24h: "3441.00",
      lowPrice24h: "3318.10",
      volume24h: "168043.71822",
      turnover24h: "570302191.0117713",
    },
  },
  {
    category: "option",
    symbol: "BTC-26DEC26-100000-C",
    baseCoin: "BTC",
    quoteCoin: "USD",
    settleCoin: "USDC",
    tickSize: "5",
    minPrice: "5",
    maxPrice: "10000000",
    lot: { maxOrderQty: "500", minOrderQty: "0.01", qtyStep: "0.01" },
    basePrice: "14215",
    phase: 2.2,
    extra: {
      symbolId: 201,
      optionsType: "Call",
      status: "Trading",
      launchTime: "1735891200000",
      deliveryTime: String(OPTION_EXPIRY_MS),
      deliveryFeeRate: "0.00015",
      displayName: "",
    },
    stats: {
      prevPrice24h: "13620",
      highPrice24h: "14400",
      lowPrice24h: "13560",
      volume24h: "41.23",
      turnover24h: "4003188.74",
      openInterest: "812.06",
    },
  },
  // A USDC perpetual: margined and settled in USDC (under UTA cross margin USDT collateral
  // can back it), so a USDT-only wallet does not rule its positions out. Last, so the
  // paging of the instruments before it is unchanged.
  {
    category: "linear",
    symbol: "BTCPERP",
    baseCoin: "BTC",
    quoteCoin: "USDC",
    settleCoin: "USDC",
    tickSize: "0.50",
    minPrice: "0.50",
    maxPrice: "1999999.00",
    lot: {
      maxOrderQty: "500.000",
      minOrderQty: "0.001",
      qtyStep: "0.001",
      maxMktOrderQty: "50.000",
      minNotionalValue: "5",
    },
    maxLeverage: "100.00",
    basePrice: "97255.00",
    phase: 0.2,
    extra: { ...PERP_EXTRA, symbolId: 4, contractType: "LinearPerpetual", launchTime: "1672531200000", priceScale: "1" },
    stats: {
      prevPrice24h: "95815.50",
      highPrice24h: "98001.00",
      lowPrice24h: "95422.00",
      prevPrice1h: "97105.00",
      volume24h: "1822.413",
      turnover24h: "176390211.52",
      openInterest: "2311.905",
      fundingRate: "0.0001",
    },
  },
];

/** Option greeks and implied vols, recorded alongside the option's ticker. */
export const OPTION_TICKER_EXTRA = {
  bid1Iv: "0.5127",
  ask1Iv: "0.5231",
  markIv: "0.5179",
  delta: "0.58124370",
  gamma: "0.00000614",
  vega: "330.51244110",
  theta: "-21.30982551",
  totalVolume: "10427",
  totalTurnover: "1012458233",
};

/** The default wallet of a fresh account. */
/** A demo account of cash only: coins held would count as exposure against a mandate's caps. */
export const DEFAULT_WALLET: Readonly<Record<string, string>> = { USDT: "100000", BTC: "0", ETH: "0", USDC: "0" };

/** Default leverage of a symbol nobody has set. */
export const DEFAULT_LEVERAGE = "10";

export function findInstrument(category: Category, symbol: string): Instrument | undefined {
  return INSTRUMENTS.find((i) => i.category === category && i.symbol === symbol);
}
