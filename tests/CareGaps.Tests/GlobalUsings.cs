global using Xunit;
global using Task = System.Threading.Tasks.Task;
