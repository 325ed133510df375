// Test doubles are not part of the product; generated constants hold no logic.
module.exports = {
  skipFiles: ["test/", "generated/", "Governance.sol"],
  mocha: { timeout: 600000 },
};
