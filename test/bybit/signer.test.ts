import { generateKeyPairSync, createVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildQuery, sign } from "../../src/bybit/signer.js";

describe("sign", () => {
  it("matches Bybit's published GET vector", () => {
    expect(
      sign({ timestamp: 1658384314791, apiKey: "test-key", recvWindow: 5000, payload: "category=option&symbol=BTC-29JUL22-25000-C", secret: "test-secret" }),
    ).toBe("65548120da59aeb18c9c3c11a3d9793cefd43f6f6f84ef264d2ac76ab24c8a39");
  });

  it("matches Bybit's published POST vector", () => {
    const body = '{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.001","price":"10000"}';
    expect(sign({ timestamp: 1658385579423, apiKey: "test-key", recvWindow: 5000, payload: body, secret: "test-secret" })).toBe(
      "d4a8c8eefe0a26b788d82734e7ad05c74901c813c6f156ffa87dbeb26af25d5e",
    );
  });

  it("signs with RSA-SHA256 (base64) when the secret is a PEM private key", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const signature = sign({ timestamp: 1, apiKey: "k", recvWindow: 5000, payload: "a=1", secret: pem });
    expect(signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(createVerify("RSA-SHA256").update("1k5000a=1").verify(publicKey, signature, "base64")).toBe(true);
  });
});

describe("buildQuery", () => {
  it("keeps the given order, skips empty values and encodes", () => {
    expect(buildQuery({ category: "linear", symbol: "BTCUSDT", cursor: "a b&c", limit: undefined, x: "" })).toBe("category=linear&symbol=BTCUSDT&cursor=a%20b%26c");
  });
});
