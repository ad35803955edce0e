module.exports = require('./scratch-tmpdir').teardown;
