"""The members' side of verified-insider tokens: the protocol the server shares (protocol), and
tipline-token, the command line a member runs on their own device (cli). Standard library only."""
